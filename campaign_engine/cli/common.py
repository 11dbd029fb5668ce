"""What every command shares: the `campaign-engine` group, settings read once, local
servers for what production would name, an event loop, a pool for one job."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

import click
import uvloop

from campaign_engine.db.migrate import migrate
from campaign_engine.db.pool import Pool, create_pool
from campaign_engine.dev.demo import load_demo
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.domain.errors import ActionNotFound, StaffExists, StaffNotFound
from campaign_engine.domain.workspace.staff import Invitation
from campaign_engine.i18n import Catalogues
from campaign_engine.links import absolute_url
from campaign_engine.security.sealing import UnreadableValue
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings, SettingsError
from campaign_engine.web.serving import configure_logging

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
# `make dev`'s workspace owner: an address that can never receive mail.
DEVELOPMENT_OWNER = "owner@example.org"


def load_settings() -> Settings:
    try:
        settings = Settings.from_environ()
    except SettingsError as error:
        raise click.ClickException(str(error)) from error
    configure_logging(settings.log_level)
    return settings


@contextmanager
def local_servers(settings: Settings, *, mailbox: bool = False) -> Iterator[Settings]:
    """The settings, with each unset address filled by a server started here and stopped on
    the way out: embedded PostgreSQL and Valkey, and with `mailbox` the development mailbox.
    Production never gets here with an address unset (`Settings.from_environ` refuses)."""
    servers = EmbeddedServers()
    mail = None
    try:
        if settings.database_url is None:
            url = servers.start_postgres(settings.data_dir / "postgres")
            settings = replace(settings, database_url=url)
        if settings.redis_url is None:
            settings = replace(
                settings, redis_url=servers.start_valkey(settings.data_dir / "valkey")
            )
        if mailbox and settings.smtp_url is None and settings.is_development:
            from campaign_engine.dev.mailbox import DevSmtpServer

            mail = DevSmtpServer(settings.mailbox_dir)
            settings = replace(settings, smtp_url=mail.start())
        yield settings
    finally:
        if mail is not None:
            mail.stop()
        servers.stop()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


@contextmanager
def stopping_gracefully_on_signals() -> Iterator[None]:
    """uvicorn catches Ctrl+C (and SIGTERM) to stop serving, then raises it again once it has
    stopped. By then we are closing on purpose: the repeat must not cut our own cleanup short
    (the worker, the embedded servers), so it is let through as a no-op."""
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


async def prepare_database(settings: Settings, *, demo: bool) -> list[str]:
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, sealer=settings.sealer(), max_size=2)
    try:
        async with pool.acquire() as conn:
            applied = await migrate(conn)
        if demo:
            await load_demo(pool, Catalogues(settings.locales_dir), Tokens(settings.secret_key))
        return applied
    finally:
        await pool.close()


@click.group()
def main() -> None:
    """Urgent actions for people at risk: publish, sign, deliver, close the loop."""


async def with_pool(settings: Settings, work: Callable[[Pool], Awaitable[T]]) -> T:
    assert settings.database_url is not None
    pool = await create_pool(settings.database_url, sealer=settings.sealer(), max_size=2)
    try:
        return await work(pool)
    except ActionNotFound as missing:
        raise click.ClickException("no such action") from missing
    except StaffExists as exists:
        raise click.ClickException("someone already has this address") from exists
    except StaffNotFound as missing:
        raise click.ClickException("nobody has this address") from missing
    except UnreadableValue as unreadable:
        raise click.ClickException(str(unreadable)) from None
    finally:
        await pool.close()


def sign_in_link(settings: Settings, invitation: Invitation) -> str:
    return absolute_url(settings.public_base_url, "auth.welcome_page", token=invitation.token)
