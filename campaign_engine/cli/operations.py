"""Operating it: an action's deliveries paused, resumed and reported, campaigners' accounts
and sign-in links, the data keys."""

import click

from campaign_engine.cli.common import (
    load_settings,
    local_servers,
    main,
    run,
    sign_in_link,
    with_pool,
)
from campaign_engine.clock import SystemClock
from campaign_engine.domain.delivery.appeals import pause_appeals, resume_appeals
from campaign_engine.domain.delivery.reports import STATUSES, ActionDeliveries, delivery_report
from campaign_engine.domain.privacy.data_keys import Resealed, reseal_under_newest_key
from campaign_engine.domain.workspace.staff import (
    invite_staff,
    sign_in_link_for,
)
from campaign_engine.models.workspace import Role
from campaign_engine.security.sealing import Sealer, new_data_key
from campaign_engine.settings import settings_table


@main.command()
@click.argument("slug")
def deliveries(slug: str) -> None:
    """Where an action's appeals stand, per official and channel."""
    settings = load_settings()
    with local_servers(settings) as settings:
        report = run(with_pool(settings, lambda pool: delivery_report(pool, slug)))
    print(format_report(report))


@main.command()
@click.argument("slug")
def pause(slug: str) -> None:
    """Stop sending an action's appeals at once."""
    settings = load_settings()
    with local_servers(settings) as settings:
        run(with_pool(settings, lambda pool: pause_appeals(pool, slug)))
    print(f"{slug}: appeals paused")


@main.command()
@click.argument("slug")
def resume(slug: str) -> None:
    """Send an action's appeals again, at an even pace."""
    settings = load_settings()
    with local_servers(settings) as settings:
        run(with_pool(settings, lambda pool: resume_appeals(pool, slug)))
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
            with_pool(
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
            with_pool(settings, lambda pool: sign_in_link_for(pool, SystemClock(), email))
        )
    print("They can sign in once, within three days, at:")
    print(sign_in_link(settings, invitation))


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
        resealed = run(with_pool(settings, reseal_under_newest_key))
    print(format_resealed(resealed, settings.sealer()))


def format_resealed(resealed: Resealed, sealer: Sealer) -> str:
    newest, *older = sealer.key_ids()
    lines = [
        f"resealed under key {newest.hex()}: addresses {resealed.supporters:,}, "
        f"signers' details {resealed.signer_details:,}, "
        f"members' numbers {resealed.member_phones:,}, "
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


@main.command("settings")
def settings_command() -> None:
    """Print the table of settings (name, default, what it is), as the README shows it."""
    print(settings_table(), end="")
