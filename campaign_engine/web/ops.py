"""For operators and orchestrators: is the process alive, is it ready to serve."""

from __future__ import annotations

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from campaign_engine.db.migrate import is_at_head
from campaign_engine.web.services import services


async def healthz(request: Request) -> Response:
    """Alive: answers without touching anything else, so a slow database never kills us."""
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    """Ready: PostgreSQL answers with every migration applied, and Redis answers."""
    s = services(request)
    checks = {"postgresql": False, "migrations": False, "redis": await s.queue.ping()}
    try:
        async with s.pool.acquire(timeout=2) as conn:
            checks["postgresql"] = await conn.fetchval("SELECT 1") == 1
            checks["migrations"] = await is_at_head(conn)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        pass
    ready = all(checks.values())
    return JSONResponse(
        {"ready": ready, "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
