"""Measuring it: `bench` (the speed of the hot paths against their floors) and `drill`
(faults inflicted, messages counted)."""

from collections.abc import Callable

import click

from campaign_engine.cli.common import F, main
from campaign_engine.drill.tally import FaultResult, table
from campaign_engine.web.serving import configure_logging


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
@click.option("--web-processes", default=2, show_default=True)
@click.option("--seconds", default=10, show_default=True, help="Seconds of each wrk run.")
@click.option("--connections", default=64, show_default=True)
@click.option("--rounds", default=3, show_default=True, help="Runs of each route and floor.")
def surge(web_processes: int, seconds: int, connections: int, rounds: int) -> int:
    """The action page, the count and signing under a closed loop (wrk), beside their floors."""
    from campaign_engine.bench.surge import run_surge

    return _exit_or_return(run_surge(web_processes, seconds, connections, rounds))


@bench.command()
@click.option("--members", default=200_000, show_default=True, help="Members alerted.")
@click.option("--workers", default=2, show_default=True, help="Worker processes.")
@click.option(
    "--acting", default=0.1, show_default=True, help="Share of members who then act in one click."
)
def alert(members: int, workers: int, acting: float) -> int:
    """An action published to a network: alerts per second, the time to the last one, one
    worker killed mid-alert, then the one-click acts that follow."""
    from campaign_engine.bench.alert import run_alert

    return _exit_or_return(run_alert(members, workers, acting))


@bench.command()
@click.option("--signatures", default=100000, show_default=True)
def export(signatures: int) -> int:
    """A signatures export of a large action, streamed over HTTP."""
    from campaign_engine.bench.export import run_export

    return _exit_or_return(run_export(signatures))


@bench.command()
@click.option("--signatures", default=1_000_000, show_default=True, help="The size grown to.")
@click.option("--base", default=10_000, show_default=True, help="The size compared with.")
def growth(signatures: int, base: int) -> int:
    """A campaigner's pages and a confirmation on one action, small and then large."""
    from campaign_engine.bench.growth import run_growth

    return _exit_or_return(run_growth(signatures, base))


@bench.command()
@click.option("--renders", default=50, show_default=True, help="Case sheets per kind and language.")
@click.option("--letters", default=1000, show_default=True, help="Supporters' letters PDFs.")
def letters(renders: int, letters: int) -> int:
    """Case sheets (the same again, another action's, over HTTP) and supporters' letters,
    beside Typst's floor, against issue 15's 300 ms and 1,000 in 60 s."""
    from campaign_engine.bench.letters import run_letters

    return _exit_or_return(run_letters(renders, letters))


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
