"""The demo content of `make dev`: a fictional case with a published update on its timeline,
its open urgent action `demo` in all six languages, two officials, one reached by email in
Spanish and one by SMS in French, and the partner `demo-partner`, allowed to embed it on
http://localhost:8001 with its own opt-in sentence in every language. And a small Urgent
Action Network (six members, several languages and choices) with a second action, a draft
(`demo-hearing`), for a newcomer to publish and watch the alerts arrive in /dev/mail (and,
to the member whose number said YES to texts, in /dev/sms).

Loading is idempotent: run it on every start and it updates what is there. The deadline is set
some weeks ahead and moved forward again once it has passed, so the demo never closes itself.

May import: db/ (to write the demo), domain/, models, i18n; only the commands import it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from campaign_engine.db.campaigns import action_editing, authoring, timeline
from campaign_engine.db.integrations import partners
from campaign_engine.db.network import alerts, members
from campaign_engine.db.personal import member_phones, supporters
from campaign_engine.db.pool import Connection, Pool
from campaign_engine.db.signing import consent
from campaign_engine.db.targets import targets
from campaign_engine.domain.signing.consent import shown_consent, wording_id
from campaign_engine.i18n import Catalogues
from campaign_engine.models.campaigns import CaseEventKind, Outcome
from campaign_engine.models.integrations import PartnerDetails
from campaign_engine.models.network import AlertPlan, Frequency, Preferences
from campaign_engine.models.signing import ConsentScope
from campaign_engine.security.tokens import Tokens

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


async def load_demo(pool: Pool, catalogues: Catalogues, tokens: Tokens) -> None:
    demo = read_demo()
    async with pool.acquire() as conn, conn.transaction():
        case_id, action_id = await _load_case_and_action(conn, demo["case"], demo["action"])
        for target in demo["targets"]:
            await _load_target(conn, action_id, target)
        for copy in demo["copies"]:
            await _load_copy(conn, action_id, copy)
        await _load_partner(conn, demo["partner"])
        await _load_draft_action(conn, case_id, demo["next_action"])
        for member in demo["members"]:
            await _load_member(conn, catalogues, tokens, member)


async def _load_case_and_action(
    conn: Connection, case: dict[str, Any], action: dict[str, Any]
) -> tuple[int, int]:
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
    await authoring.set_asks_solidarity(conn, action_id, action.get("asks_solidarity", False))
    return case_id, action_id


async def _load_draft_action(conn: Connection, case_id: int, action: dict[str, Any]) -> None:
    """The second action, as a draft, the first time only: once the newcomer has published
    it, a restart must not make it a draft again (and alert nobody a second time)."""
    if await action_editing.get_action_settings(conn, action["slug"]) is not None:
        return
    action_id = await authoring.upsert_action(
        conn,
        case_id=case_id,
        slug=action["slug"],
        code=action["code"],
        status="draft",
        deadline=datetime.now(UTC) + timedelta(days=action["deadline_days"]),
        goal=action["goal"],
        default_locale=action["default_locale"],
    )
    for locale, content in action["content"].items():
        await authoring.upsert_action_translation(conn, action_id, locale, content, published=True)
    plan = AlertPlan(by_text=action.get("alert_by_text", False))
    await alerts.save_plan(conn, action_id, plan, None, datetime.now(UTC))


async def _load_member(
    conn: Connection, catalogues: Catalogues, tokens: Tokens, member: dict[str, Any]
) -> None:
    """A member who has said yes, with the network's sentence in their language as their
    consent; once (a member already active is left as the newcomer changed them)."""
    email, locale = member["email"], member["locale"]
    supporter_id = await supporters.find_or_make_supporter(conn, email, email.lower(), locale)
    assert supporter_id is not None
    with catalogues.activate(locale):
        text_id = await wording_id(conn, shown_consent(ConsentScope.NETWORK))
    frequency = Frequency(member.get("frequency", Frequency.EVERY.value))
    preferences = Preferences(
        languages=tuple(member["languages"]),
        frequency=frequency,
        weekly_cap=member.get("weekly_cap"),
    )
    now = datetime.now(UTC)
    await members.request_membership(conn, supporter_id, locale, preferences, text_id, now)
    if await members.activate_member(conn, supporter_id, now) is not None:
        await consent.insert_consent_answer(
            conn, supporter_id, ConsentScope.NETWORK, text_id, "demo", granted=True
        )
        if "phone" in member:
            await _load_texts(conn, catalogues, tokens, supporter_id, member)


async def _load_texts(
    conn: Connection,
    catalogues: Catalogues,
    tokens: Tokens,
    supporter_id: UUID,
    member: dict[str, Any],
) -> None:
    """A number that has said YES to the most urgent alerts (its text taken as answered)."""
    phone = member["phone"]
    with catalogues.activate(member["locale"]):
        text_id = await wording_id(conn, shown_consent(ConsentScope.NETWORK_TEXTS))
    key = tokens.phone_key(phone)
    await member_phones.ask_for_texts(conn, supporter_id, phone, key, text_id, datetime.now(UTC))
    if await member_phones.activate_texts(conn, supporter_id, key) is not None:
        await consent.insert_consent_answer(
            conn, supporter_id, ConsentScope.NETWORK_TEXTS, text_id, "demo", granted=True
        )


async def _upsert_official(conn: Connection, official: dict[str, Any]) -> int:
    """An official of the demo file (a target, or a diplomat to copy), by its external id."""
    return await authoring.upsert_target(
        conn,
        external_id=official["external_id"],
        name=official["name"],
        title=official["title"],
        organisation=official["organisation"],
        country=None,
        time_zone=official["time_zone"],
        office_hours=None,  # any hour: a newcomer sees delivery at once
        preferred_locale=official["preferred_locale"],
        salutations=official["salutations"],
        postal_address=official.get("postal_address", ""),
    )


async def _load_target(conn: Connection, action_id: int, target: dict[str, Any]) -> None:
    target_id = await _upsert_official(conn, target)
    channel = target["channel"]
    address = target["email"] if channel == "email" else target["phone"]
    await authoring.add_target_contact(conn, target_id, channel, address)
    await authoring.add_action_target(conn, action_id, target_id, channel)
    # One appeal per confirmed signature, as fast as one a second: a newcomer trying the
    # demo again and again sees each of theirs go out within seconds.
    await authoring.set_action_channel(
        conn, action_id, channel, "per_signature", min_per_hour=DEMO_PACE_PER_HOUR
    )


async def _load_copy(conn: Connection, action_id: int, copy: dict[str, Any]) -> None:
    """A diplomat the action asks supporters to post a copy to: a target with no contact."""
    await targets.add_copy(conn, action_id, await _upsert_official(conn, copy))


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
