"""The workspace's people: campaigners' accounts, signing in and its throttle, roles, audit.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
