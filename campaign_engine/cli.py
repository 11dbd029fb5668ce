"""The `campaign-engine` command: dev, serve, worker, migrate, create-user, bench, i18n, ….

Each command reads Settings from the environment, fills any address left unset outside
production with a local server (see `local_servers`), and calls into the code that does the
work. No logic lives here.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

import click
import uvicorn
import uvloop

from campaign_engine import translations
from campaign_engine.app import configure_logging, create_app
from campaign_engine.clock import SystemClock
from campaign_engine.db.migrate import migrate
from campaign_engine.db.pool import Pool, create_pool
from campaign_engine.dev.demo import load_demo
from campaign_engine.dev.embedded import EmbeddedServers
from campaign_engine.domain.delivery.appeals import pause_appeals, resume_appeals
from campaign_engine.domain.delivery.reports import STATUSES, ActionDeliveries, delivery_report
from campaign_engine.domain.errors import ActionNotFound, StaffExists, StaffNotFound
from campaign_engine.domain.privacy.data_keys import Resealed, reseal_under_newest_key
from campaign_engine.domain.workspace.staff import (
    Invitation,
    development_owner_link,
    invite_staff,
    sign_in_link_for,
)
from campaign_engine.drill.tally import FaultResult, table
from campaign_engine.models.workspace import Role
from campaign_engine.security.sealing import Sealer, UnreadableValue, new_data_key
from campaign_engine.settings import Settings, SettingsError

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
            await load_demo(pool)
        return applied
    finally:
        await pool.close()


@click.group()
def main() -> None:
    """Urgent actions for people at risk: publish, sign, deliver, close the loop."""


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
            _with_pool(
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
    with local_servers(settings) as settings:
        # Each web process builds its own Settings; pass it the local servers' addresses.
        os.environ["DATABASE_URL"] = settings.database_url or ""
        os.environ["REDIS_URL"] = settings.redis_url or ""
        uvicorn.run(
            "campaign_engine.app:create_app_from_environ",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            proxy_headers=False,
            access_log=False,
            log_config=None,
        )


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


@main.command()
@click.argument("slug")
def deliveries(slug: str) -> None:
    """Where an action's appeals stand, per official and channel."""
    settings = load_settings()
    with local_servers(settings) as settings:
        report = run(_with_pool(settings, lambda pool: delivery_report(pool, slug)))
    print(format_report(report))


@main.command()
@click.argument("slug")
def pause(slug: str) -> None:
    """Stop sending an action's appeals at once."""
    settings = load_settings()
    with local_servers(settings) as settings:
        run(_with_pool(settings, lambda pool: pause_appeals(pool, slug)))
    print(f"{slug}: appeals paused")


@main.command()
@click.argument("slug")
def resume(slug: str) -> None:
    """Send an action's appeals again, at an even pace."""
    settings = load_settings()
    with local_servers(settings) as settings:
        run(_with_pool(settings, lambda pool: resume_appeals(pool, slug)))
    print(f"{slug}: appeals resumed")


@main.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="How the workspace names them.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.OWNER.value,
    show_default=True,
)
@click.option("--locale", default="en", show_default=True, help="Language of their workspace.")
def create_user(email: str, name: str, role: str, locale: str) -> None:
    """Add a campaigner, and print the one-time link where they choose their password."""
    settings = load_settings()
    with local_servers(settings) as settings:
        invitation = run(
            _with_pool(
                settings,
                lambda pool: invite_staff(
                    pool, SystemClock(), None, email, name, Role(role), locale
                ),
            )
        )
    # The address stays out of the output, which a terminal log or a CI job may keep.
    print(f"The new {role} can sign in once, within three days, at:")
    print(sign_in_link(settings, invitation))


@main.command("sign-in-link")
@click.argument("email")
def sign_in_link_command(email: str) -> None:
    """A new one-time sign-in link for a campaigner (a forgotten password, a lost link)."""
    settings = load_settings()
    with local_servers(settings) as settings:
        invitation = run(
            _with_pool(settings, lambda pool: sign_in_link_for(pool, SystemClock(), email))
        )
    print("They can sign in once, within three days, at:")
    print(sign_in_link(settings, invitation))


def _workspace_door(settings: Settings, owner: Invitation | None) -> str:
    if owner is None:
        return f"{settings.public_base_url}/admin  (as {DEVELOPMENT_OWNER})"
    return (
        f"{sign_in_link(settings, owner)}\n"
        f"                           (once, for {owner.staff.email}: choose a password, and scan\n"
        "                           the second factor with an authenticator app)"
    )


def sign_in_link(settings: Settings, invitation: Invitation) -> str:
    return f"{settings.public_base_url}/admin/welcome/{invitation.token}"


async def _with_pool(settings: Settings, work: Callable[[Pool], Awaitable[T]]) -> T:
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


def format_report(report: ActionDeliveries) -> str:
    header = ["official", "channel", "address", *STATUSES, "next send (UTC)"]
    rows = [
        [
            target.name,
            target.channel,
            target.address_status or "-",
            *(str(target.counts[status]) for status in STATUSES),
            target.next_send.strftime("%Y-%m-%d %H:%M:%S") if target.next_send else "-",
        ]
        for target in report.targets
    ]
    totals = ["all", "", "", *(str(report.totals[status]) for status in STATUSES), ""]
    widths = [max(len(row[i]) for row in [header, *rows, totals]) for i in range(len(header))]
    lines = [
        f"{report.slug}: appeals {'PAUSED' if report.paused else 'sending'}",
        *(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            for row in [header, *rows, totals]
        ),
    ]
    return "\n".join(line.rstrip() for line in lines)


@main.group(invoke_without_command=True)
@click.pass_context
def bench(context: click.Context) -> None:
    """Measure the product on stacks of its own: `signing`, `fanout`, `pacing` (all three by
    default). Prints figures; fails only when something was lost, doubled or mis-paced."""
    configure_logging("WARNING")
    if context.invoked_subcommand is None:
        failed = [context.invoke(scenario) for scenario in (signing, fanout, pacing)]
        raise SystemExit(1 if any(failed) else 0)


@bench.command()
@click.option("--rate", default=300, show_default=True, help="Signatures per second.")
@click.option("--duration", default=20, show_default=True, help="Seconds of load.")
@click.option("--web-processes", default=1, show_default=True)
def signing(rate: int, duration: int, web_processes: int) -> int:
    """The signing path at a fixed arrival rate."""
    from campaign_engine.bench.signing import run_signing

    return _exit_or_return(run_signing(rate, duration, web_processes))


@bench.command()
@click.option("--appeals", default=20000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
def fanout(appeals: int, workers: int) -> int:
    """Appeals to one official without a cap, into a fast SMTP sink."""
    from campaign_engine.bench.fanout import run_fanout

    return _exit_or_return(run_fanout(appeals, workers))


@bench.command()
@click.option("--per-hour", default=3600, show_default=True, help="The official's cap.")
@click.option("--seconds", default=60, show_default=True)
def pacing(per_hour: int, seconds: int) -> int:
    """How closely a capped official's rate is kept."""
    from campaign_engine.bench.fanout import run_pacing

    return _exit_or_return(run_pacing(per_hour, seconds))


@bench.command()
@click.option("--signatures", default=100000, show_default=True)
def export(signatures: int) -> int:
    """A signatures export of a large action, streamed over HTTP."""
    from campaign_engine.bench.export import run_export

    return _exit_or_return(run_export(signatures))


@main.group(invoke_without_command=True)
@click.pass_context
def drill(context: click.Context) -> None:
    """Inflict faults on stacks of its own and count what they cost: `worker-kills`, `valkey`,
    `postgres`, `smtp` (all four by default, then one table). Fails when anything was lost
    or duplicated, or answered 5xx other than the 503s a database outage calls for."""
    configure_logging("WARNING")
    if context.invoked_subcommand is None:
        faults = (worker_kills, valkey_fault, postgres_fault, smtp_fault)
        results = [context.invoke(fault) for fault in faults]
        print(f"\ncampaign-engine drill: {len(results)} faults\n{table(results)}", flush=True)
        raise SystemExit(0 if all(result.passed for result in results) else 1)


@drill.command("worker-kills")
@click.option("--emails", default=2000, show_default=True, help="Appeals by email.")
@click.option("--texts", default=1000, show_default=True, help="Appeals by text.")
@click.option("--kills", default=20, show_default=True, help="Times the worker is killed.")
@click.option(
    "--lost-answers",
    default=0.01,
    show_default=True,
    help="Share of texts Twilio keeps while their answer is lost.",
)
@click.option(
    "--gap", default=1.0, show_default=True, help="Seconds of sending, at most, before a kill."
)
@click.option("--drain", default=240, show_default=True, help="Seconds to finish after the kills.")
@click.option(
    "--real-backoff", is_flag=True, help="Wait out backoffs after the kills instead of hurrying."
)
@click.option("--seed", default=2026, show_default=True)
def worker_kills(
    emails: int,
    texts: int,
    kills: int,
    lost_answers: float,
    gap: float,
    drain: int,
    real_backoff: bool,
    seed: int,
) -> FaultResult:
    """`kill -9` of the worker during a fan-out of appeals by email and text, restarted at
    once each time, while Twilio now and then loses an answer."""
    from campaign_engine.drill.kills import Options, run_worker_kills

    print(
        f"drill worker-kills: {emails} appeals by email, {texts} by text, {kills} kills", flush=True
    )
    options = Options(emails, texts, kills, lost_answers, gap, drain, real_backoff, seed)
    return _fault_done(run_worker_kills(options))


def _signing_fault_options(before: int, outage: int, after: int) -> Callable[[F], F]:
    """The options of a fault under signing load: the rate, and the fault's three phases."""
    options = (
        click.option("--rate", default=20, show_default=True, help="Signatures a second."),
        click.option("--before", default=before, show_default=True, help="Seconds of load first."),
        click.option("--outage", default=outage, show_default=True, help="Seconds of the fault."),
        click.option("--after", default=after, show_default=True, help="Seconds of load after."),
    )

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@drill.command("valkey")
@_signing_fault_options(before=5, outage=35, after=10)
def valkey_fault(rate: int, before: int, outage: int, after: int) -> FaultResult:
    """Valkey killed under signing load, and started again (empty) on the same socket."""
    from campaign_engine.drill.valkey import run_valkey

    print(
        f"drill valkey: {rate} signatures/s; Valkey killed after {before} s for {outage} s",
        flush=True,
    )
    return _fault_done(run_valkey(rate, before, outage, after))


@drill.command("postgres")
@_signing_fault_options(before=5, outage=10, after=10)
def postgres_fault(rate: int, before: int, outage: int, after: int) -> FaultResult:
    """PostgreSQL stopped (`pg_ctl -m immediate`) under signing load, and started again."""
    from campaign_engine.drill.postgres import run_postgres

    print(
        f"drill postgres: {rate} signatures/s; PostgreSQL stopped after {before} s for {outage} s",
        flush=True,
    )
    return _fault_done(run_postgres(rate, before, outage, after))


@drill.command("smtp")
@_signing_fault_options(before=5, outage=10, after=10)
def smtp_fault(rate: int, before: int, outage: int, after: int) -> FaultResult:
    """The SMTP server gone while confirmations flow, and back on the same port."""
    from campaign_engine.drill.smtp import run_smtp

    print(
        f"drill smtp: {rate} signatures/s; the SMTP server gone after {before} s for {outage} s",
        flush=True,
    )
    return _fault_done(run_smtp(rate, before, outage, after))


def _fault_done(result: FaultResult) -> FaultResult:
    """Print what the fault cost; run alone, also its table, and exit with its verdict."""
    print("\n".join(f"  {note}" for note in result.notes), flush=True)
    context = click.get_current_context()
    if context.parent is not None and context.parent.invoked_subcommand == context.info_name:
        print(table([result]), flush=True)
        raise SystemExit(0 if result.passed else 1)
    return result


def _exit_or_return(code: int) -> int:
    """Run alone, a scenario's result is the exit code; run as part of all, it is returned."""
    context = click.get_current_context()
    if context.parent is not None and context.parent.invoked_subcommand == context.info_name:
        raise SystemExit(code)
    return code


@main.group()
def keys() -> None:
    """The data keys that seal supporters' personal data at rest (DATA_KEYS)."""


@keys.command("new")
def keys_new() -> None:
    """Print a fresh data key, to put first in DATA_KEYS."""
    print(new_data_key())


@keys.command("rotate")
def keys_rotate() -> None:
    """Reseal every sealed value under the first key in DATA_KEYS."""
    settings = load_settings()
    with local_servers(settings) as settings:
        resealed = run(_with_pool(settings, reseal_under_newest_key))
    print(format_resealed(resealed, settings.sealer()))


def format_resealed(resealed: Resealed, sealer: Sealer) -> str:
    newest, *older = sealer.key_ids()
    lines = [
        f"resealed under key {newest.hex()}: addresses {resealed.supporters:,}, "
        f"signers' details {resealed.signer_details:,}, "
        f"second-factor secrets {resealed.second_factors:,}",
        "values under each key now:",
        *(f"  {key.hex()}: {count:,}" for key, count in sorted(resealed.by_key.items())),
    ]
    if set(resealed.by_key) <= {newest}:
        dropped = ", ".join(key.hex() for key in older)
        lines.append(
            f"every value is under {newest.hex()}"
            + (f": {dropped} can leave DATA_KEYS" if older else "")
        )
    return "\n".join(lines)


@main.group()
def i18n() -> None:
    """The translation workflow: extract, update, check."""


@i18n.command("extract")
def i18n_extract() -> None:
    """Write locales/messages.pot from the code and the templates."""
    translations.write_template(Settings.from_environ().home)


@i18n.command("update")
def i18n_update() -> None:
    """Merge messages.pot into every language's catalogue."""
    translations.update_catalogues(Settings.from_environ().home)


@i18n.command("check")
def i18n_check() -> None:
    """Fail unless the template is current and every catalogue complete."""
    found = translations.problems(Settings.from_environ().home)
    for problem in found:
        print(problem)
    if found:
        raise click.ClickException(f"{len(found)} translation problems")
    print("translations are complete and current")
