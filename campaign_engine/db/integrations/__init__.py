"""Integrations: partners and their widgets, API keys, the API's reads, webhooks, OSDI.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
