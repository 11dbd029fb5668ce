"""For operators and orchestrators: is the process alive, is it ready to serve."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from campaign_engine.domain.health import readiness
from campaign_engine.web.errors import RETRY_AFTER_SECONDS
from campaign_engine.web.services import services


async def healthz(request: Request) -> Response:
    """Alive: answers without touching anything else, so a slow database never kills us."""
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


async def readyz(request: Request) -> Response:
    """Ready: PostgreSQL answers with every migration applied, so a signature taken here is
    kept. When not, a 503 that says when to ask again, like every other answer of an outage.
    Valkey is checked and reported, but its absence costs wake-ups latency, never a signature
    (docs/operations.md): taking every web process out of service for it would be the outage."""
    checks = await readiness(services(request).pool, services(request).queue)
    ready = checks["postgresql"] and checks["migrations"]
    headers = {"Cache-Control": "no-store"}
    if not ready:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(
        {"ready": ready, "checks": checks}, status_code=200 if ready else 503, headers=headers
    )
