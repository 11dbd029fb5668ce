"""Delivery: every message that leaves, its outbox, pacing, budgets, and what comes back.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
