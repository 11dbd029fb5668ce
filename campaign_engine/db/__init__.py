"""SQL and asyncpg only: one async function per query, its SQL right above it.

Modules here never import `domain/`, and hold no business rules. Queries that read or write
supporters' personal data live in `supporters.py` and nowhere else.
"""
