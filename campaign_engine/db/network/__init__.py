"""The Urgent Action Network: members, their preferences, and (later) the alerts they get.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
