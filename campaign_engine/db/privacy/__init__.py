"""Privacy: supporters' rights (export, erasure), retention, the rotation of data keys.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
