"""SQL and asyncpg only: one async function per query, its SQL right above it, grouped by
capability as domain/ is; supporters' personal data is read and written in personal/ alone.
May import: asyncpg, models, security; never domain/ or web/, and no business rules."""
