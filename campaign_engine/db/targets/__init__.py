"""Targets: the officials appeals go to, their addresses, fields, imports and office hours.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
