"""The floor: the least each measured route can do on the same stack, served the way the
product is (uvicorn, Starlette, asyncpg, as many processes), so the bench can print the
product's figures as ratios of it.

- `GET /page`: a page held as bytes (the product's own action page, fetched once by the bench
  and left in DATA_DIR as floor-page.html): what a cached page costs at best.
- `POST /sign`: the JSON body read, and one durable INSERT of its two fields: what an
  acknowledged signature costs at best.

Run by the bench as `uvicorn campaign_engine.bench.floor:app --workers N`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from campaign_engine.settings import Settings

CREATE = """
CREATE TABLE IF NOT EXISTS floor_signatures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""
PAGE_FILE = "floor-page.html"
INSERT = "INSERT INTO floor_signatures (name, email) VALUES ($1, $2)"
ACCEPTED = b'{"status":"pending_confirmation"}'


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings = Settings.from_environ()
    app.state.page = await asyncio.to_thread((settings.data_dir / PAGE_FILE).read_bytes)
    app.state.pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=10)
    try:
        yield
    finally:
        await app.state.pool.close()


async def page(request: Request) -> Response:
    return Response(request.app.state.page, media_type="text/html; charset=utf-8")


async def sign(request: Request) -> Response:
    body = json.loads(await request.body())
    await request.app.state.pool.execute(INSERT, body["name"], body["email"])
    return Response(ACCEPTED, status_code=202, media_type="application/json")


app = Starlette(
    routes=[Route("/page", page), Route("/sign", sign, methods=["POST"])], lifespan=lifespan
)
