"""Campaigns: cases and their timelines, actions, updates, an action's dashboard and exports.
May import: asyncpg, db.pool, models, security; never domain/ or web/."""
