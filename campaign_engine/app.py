"""The web application: built from Settings, its resources opened in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.templating import Jinja2Templates
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from campaign_engine import jobs
from campaign_engine.clock import Clock, SystemClock
from campaign_engine.db.pool import create_pool
from campaign_engine.domain.campaigns.dashboard import Held
from campaign_engine.domain.signing.signatures import SignatureBatches
from campaign_engine.i18n import Catalogues
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from campaign_engine.templating import create_environment
from campaign_engine.web.errors import EXCEPTION_HANDLERS, ServerErrorPages
from campaign_engine.web.middleware import (
    AccessLogMiddleware,
    BodyLimitMiddleware,
    LocaleMiddleware,
    SecurityHeadersMiddleware,
)
from campaign_engine.web.page_cache import GZIP_ABOVE, FreshPages, PageCache, watch_for_changes
from campaign_engine.web.rate_limits import RateLimiter
from campaign_engine.web.rendering import route_path, route_url
from campaign_engine.web.routes import routes
from campaign_engine.web.services import Services
from campaign_engine.web.serving import configure_logging
from campaign_engine.web.shedding import InFlightBudget
from campaign_engine.web.static import static_url


class State(TypedDict):
    services: Services


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    pages: PageCache | None = None,
    dashboards: Held | None = None,
) -> Starlette:
    """The web app; `clock` stands still in tests that count seconds (throttles), `pages` is
    given by tests that need its clock to stand still too, and `dashboards` by tests that
    hold every dashboard, however quickly counted."""
    if settings.database_url is None or settings.redis_url is None:
        raise ValueError("the app needs DATABASE_URL and REDIS_URL (cli/ starts embedded ones)")
    database_url, redis_url = settings.database_url, settings.redis_url
    catalogues = Catalogues(settings.locales_dir)
    templates = Jinja2Templates(
        env=create_environment(settings.templates_dir, reload=settings.is_development)
    )
    templates.env.globals["route_path"] = route_path  # links from route names (routes.py)
    templates.env.globals["route_url"] = route_url  # the same, whole, for links that leave
    # Static files by name, with their version (web/static.py).
    templates.env.globals["static_url"] = partial(static_url, settings.static_dir)
    pages = pages if pages is not None else PageCache()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        pool = await create_pool(database_url, sealer=settings.sealer())
        redis = await jobs.connect(redis_url)
        watcher = asyncio.create_task(watch_for_changes(database_url, pages))
        # What start-up made lives as long as the process: out of the collector's sight, a
        # full collection walks only what requests make (pauses of tens of milliseconds else).
        gc.freeze()
        try:
            queue = jobs.JobQueue(redis)
            yield {
                "services": Services(
                    settings=settings,
                    pool=pool,
                    queue=queue,
                    limiter=RateLimiter(redis, settings.secret_key),
                    tokens=Tokens(settings.secret_key),
                    templates=templates,
                    catalogues=catalogues,
                    clock=clock or SystemClock(),
                    signatures=SignatureBatches(pool, queue),
                    dashboards=dashboards if dashboards is not None else Held(),
                )
            }
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            await redis.aclose()
            await pool.close()

    return Starlette(
        routes=routes(settings),
        lifespan=lifespan,
        exception_handlers=dict(EXCEPTION_HANDLERS),
        middleware=[
            # The client address is taken from X-Forwarded-For only when the request comes
            # from a proxy we trust; anyone else could write any address there.
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies)),
            Middleware(AccessLogMiddleware),
            # Public pages from memory (web/page_cache.py): a hit goes no further than here.
            Middleware(FreshPages, cache=pages),
            # Every other text answer compressed for whoever accepts it (held pages are
            # compressed once, above); not the CSV exports, streamed row by row from a cursor.
            Middleware(
                GZipMiddleware,
                minimum_size=GZIP_ABOVE,
                compresslevel=6,
                exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/csv"),
            ),
            # HSTS only in production: there PUBLIC_BASE_URL must be https (settings.check).
            Middleware(SecurityHeadersMiddleware, hsts=settings.environment == "production"),
            Middleware(BodyLimitMiddleware),
            Middleware(LocaleMiddleware, catalogues=catalogues),
            # At most MAX_IN_FLIGHT at once; past it, 503 at once (web/shedding.py).
            Middleware(InFlightBudget, budget=settings.max_in_flight),
            Middleware(ServerErrorPages),
        ],
    )


def create_app_from_environ() -> Starlette:
    """For `uvicorn --factory`: each web process reads its own settings."""
    settings = Settings.from_environ()
    configure_logging(settings.log_level)
    return create_app(settings)
