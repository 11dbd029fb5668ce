"""Signing: supporters, signatures, consents, the count, and what guards it (suspicion).
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
