"""The demo content of `make dev`: a fictional case with a published update on its timeline,
its open urgent action `demo` in all six languages, two officials, one reached by email in
Spanish and one by SMS in French, and the partner `demo-partner`, allowed to embed it on
http://localhost:8001 with its own opt-in sentence in every language.

Loading is idempotent: run it on every start and it updates what is there. The deadline is set
some weeks ahead and moved forward again once it has passed, so the demo never closes itself.

May import: db/ (to write the demo), domain/, models, i18n; only the commands import it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from campaign_engine.db.campaigns import authoring, timeline
from campaign_engine.db.integrations import partners
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.models.campaigns import CaseEventKind, Outcome
from campaign_engine.models.integrations import PartnerDetails

DEMO_FILE = Path(__file__).parent / "demo.toml"
DEMO_PACE_PER_HOUR = 3600


def read_demo(path: Path = DEMO_FILE) -> dict[str, Any]:
    with path.open("rb") as file:
        demo = tomllib.load(file)
    return _strip_text(demo)  # type: ignore[no-any-return]


def _strip_text(value: Any) -> Any:
    # Multi-line TOML strings keep their final newline; the text itself does not want it.
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return {key: _strip_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strip_text(item) for item in value]
    return value


async def load_demo(pool: Pool) -> None:
    demo = read_demo()
    async with pool.acquire() as conn, conn.transaction():
        action_id = await _load_case_and_action(conn, demo["case"], demo["action"])
        for target in demo["targets"]:
            await _load_target(conn, action_id, target)
        await _load_partner(conn, demo["partner"])


async def _load_case_and_action(
    conn: Connection, case: dict[str, Any], action: dict[str, Any]
) -> int:
    case_id = await authoring.upsert_case(
        conn,
        slug=case["slug"],
        country=None,  # Maravela exists nowhere, so it has no ISO code
        risk_category=case["risk_category"],
        status=case["status"],
        default_locale=action["default_locale"],
    )
    for locale, content in case["content"].items():
        await authoring.upsert_case_translation(conn, case_id, locale, content)
    for event in case.get("events", []):
        await _load_event(conn, case_id, event)
    action_id = await authoring.upsert_action(
        conn,
        case_id=case_id,
        slug=action["slug"],
        code=action["code"],
        status="open",
        deadline=datetime.now(UTC) + timedelta(days=action["deadline_days"]),
        goal=action["goal"],
        default_locale=action["default_locale"],
    )
    for locale, content in action["content"].items():
        await authoring.upsert_action_translation(conn, action_id, locale, content, published=True)
    return action_id


async def _load_target(conn: Connection, action_id: int, target: dict[str, Any]) -> None:
    target_id = await authoring.upsert_target(
        conn,
        external_id=target["external_id"],
        name=target["name"],
        title=target["title"],
        organisation=target["organisation"],
        country=None,
        time_zone=target["time_zone"],
        office_hours=None,  # any hour: a newcomer sees delivery at once
        preferred_locale=target["preferred_locale"],
        salutations=target["salutations"],
    )
    channel = target["channel"]
    address = target["email"] if channel == "email" else target["phone"]
    await authoring.add_target_contact(conn, target_id, channel, address)
    await authoring.add_action_target(conn, action_id, target_id, channel)
    # One appeal per confirmed signature, as fast as one a second: a newcomer trying the
    # demo again and again sees each of theirs go out within seconds.
    await authoring.set_action_channel(
        conn, action_id, channel, "per_signature", min_per_hour=DEMO_PACE_PER_HOUR
    )


async def _load_event(conn: Connection, case_id: int, event: dict[str, Any]) -> None:
    """A timeline event, the first time only (its `ref` is its `source_ref`): once loaded it is
    the team's, and what they change in the workspace stays."""
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    event_id = await timeline.insert_written_event(
        conn,
        case_id,
        kind=CaseEventKind(event["kind"]),
        outcome=Outcome(event["outcome"]) if "outcome" in event else None,
        occurred_at=midnight - timedelta(days=event["days_ago"]),
        source=event.get("source"),
        subject=None,
        body=None,
        published=event["published"],
        created_by=None,
        at=now,
        source_ref=event["ref"],
    )
    if event_id is None:
        return
    for locale, content in event["content"].items():
        await timeline.upsert_event_text(
            conn,
            event_id,
            locale,
            title=content["title"],
            body=content["body"],
            at=now,
            is_source=True,
        )


async def _load_partner(conn: Connection, partner: dict[str, Any]) -> None:
    details = PartnerDetails(
        name=partner["name"],
        contact_email=partner["contact_email"],
        allowed_origins=tuple(partner["allowed_origins"]),
        consent_texts=partner["consent_texts"],
    )
    partner_id = await partners.upsert_partner(conn, partner["slug"], details, partner["embed_key"])
    await partners.replace_partner_consent_texts(
        conn, partner_id, details.consent_texts, datetime.now(UTC)
    )
