"""Personal data: the only queries that read or write names, addresses and phones.
May import: asyncpg, db.pool, models, security; no other module reads these tables."""
