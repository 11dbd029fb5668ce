"""For operators and orchestrators: is the process alive, is it ready to serve."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from campaign_engine.domain.health import readiness
from campaign_engine.web.services import services


async def healthz(request: Request) -> Response:
    """Alive: answers without touching anything else, so a slow database never kills us."""
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    """Ready: PostgreSQL answers with every migration applied, and Redis answers."""
    checks = await readiness(services(request).pool, services(request).queue)
    ready = all(checks.values())
    return JSONResponse(
        {"ready": ready, "checks": checks},
        status_code=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )
