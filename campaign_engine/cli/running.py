"""Running the product: `dev` (everything, with the demo and a mailbox), `serve`, `worker`,
`migrate`, `seed-demo`."""

import asyncio
import os
import sys
from dataclasses import replace

import click
import uvicorn

from campaign_engine.app import create_app
from campaign_engine.cli.common import (
    DEVELOPMENT_OWNER,
    load_settings,
    local_servers,
    main,
    prepare_database,
    run,
    sign_in_link,
    stopping_gracefully_on_signals,
    with_pool,
)
from campaign_engine.clock import SystemClock
from campaign_engine.domain.workspace.staff import (
    Invitation,
    development_owner_link,
)
from campaign_engine.links import absolute_url
from campaign_engine.settings import Settings
from campaign_engine.web.serving import serve_web


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, envvar="PORT", show_default=True)
def dev(host: str, port: int) -> None:
    """Everything on this machine: embedded servers, migrations, demo, web app and worker."""
    settings = load_settings()
    if not settings.is_development:
        raise click.ClickException("`dev` runs only with ENVIRONMENT=development")
    if "PUBLIC_BASE_URL" not in os.environ:
        settings = replace(settings, public_base_url=f"http://{host}:{port}")
    with local_servers(settings, mailbox=True) as settings:
        run(prepare_database(settings, demo=True))
        owner = run(
            with_pool(
                settings,
                lambda pool: development_owner_link(
                    pool, SystemClock(), DEVELOPMENT_OWNER, "Development Owner"
                ),
            )
        )
        with stopping_gracefully_on_signals():
            run(_serve_with_worker(settings, host, port, owner))
    print(f"\nstopped; the data stays in {settings.data_dir} (delete it to start afresh)")


async def _serve_with_worker(
    settings: Settings, host: str, port: int, owner: Invitation | None
) -> None:
    from workers.supervisor import supervised

    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host=host,
            port=port,
            proxy_headers=False,  # the app itself decides whom to believe (TRUSTED_PROXIES)
            access_log=False,  # the app logs requests without personal data
            log_config=None,
        )
    )
    # Signals are uvicorn's here: the worker is stopped when the server has stopped. A Ctrl+C
    # in a terminal reaches the embedded Valkey too; the worker rides that out like any outage.
    worker = supervised(settings)
    worker_task = asyncio.create_task(worker.serve())
    banner = asyncio.create_task(_announce(server, settings, owner))
    try:
        await server.serve()
    finally:
        banner.cancel()
        worker.stop()
        await worker_task


async def _announce(server: uvicorn.Server, settings: Settings, owner: Invitation | None) -> None:
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    base = settings.public_base_url
    print(
        f"\ncampaign-engine is running: {base}/\n"
        f"  the demo urgent action   {base}/zh-Hans/actions/demo  (also /en/ /fr/ /es/ /ar/ /ru/)\n"
        f"  the development mailbox  {base}/dev/mail\n"
        f"  the workspace            {_workspace_door(settings, owner)}\n"
        f"  data (PostgreSQL, Valkey, mail) under {settings.data_dir}\n"
        "Press Ctrl+C to stop.\n",
        flush=True,
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, envvar="PORT", show_default=True)
@click.option("--workers", default=1, show_default=True, help="Web processes.")
def serve(host: str, port: int, workers: int) -> None:
    """The web app (run `migrate` first, and a `worker` beside it)."""
    settings = load_settings()
    if workers > 1 and settings.database_url and settings.redis_url:
        # Nothing for this process to start or stop: it becomes the lean supervisor, which
        # does not carry the whole application beside the web processes (web/serving.py).
        argv = [sys.executable, "-m", "campaign_engine.web.serving", host, str(port)]
        os.execv(sys.executable, [*argv, str(workers), settings.log_level])  # noqa: S606  # nosec B606
    with local_servers(settings) as settings:
        # Each web process builds its own Settings; pass it the local servers' addresses.
        os.environ["DATABASE_URL"] = settings.database_url or ""
        os.environ["REDIS_URL"] = settings.redis_url or ""
        serve_web(host, port, workers)


@main.command()
def worker() -> None:
    """The background worker: sends what the outbox holds, sweeps what the queue lost, and
    sends from PostgreSQL while the queue is unreachable."""
    from workers.supervisor import run_worker

    settings = load_settings()
    with local_servers(settings, mailbox=True) as settings:
        run(run_worker(settings))


@main.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    settings = load_settings()
    with local_servers(settings) as settings:
        applied = run(prepare_database(settings, demo=False))
    print("\n".join(f"applied {name}" for name in applied) or "nothing to apply")


@main.command("seed-demo")
def seed_demo() -> None:
    """Load (or refresh) the demo case and its urgent action `demo`."""
    settings = load_settings()
    with local_servers(settings) as settings:
        run(prepare_database(settings, demo=True))
    print("demo content loaded")


def _workspace_door(settings: Settings, owner: Invitation | None) -> str:
    if owner is None:
        door = absolute_url(settings.public_base_url, "overview.overview")
        return f"{door}  (as {DEVELOPMENT_OWNER})"
    return (
        f"{sign_in_link(settings, owner)}\n"
        f"                           (once, for {owner.staff.email}: choose a password, and scan\n"
        "                           the second factor with an authenticator app)"
    )
