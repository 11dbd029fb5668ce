"""The demo content of `make dev`: a fictional case, its open urgent action `demo` in all six
languages, and two officials, one reached by email in Spanish and one by SMS in French.

Loading is idempotent: run it on every start and it updates what is there. The deadline is set
some weeks ahead and moved forward again once it has passed, so the demo never closes itself.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from campaign_engine.db import authoring
from campaign_engine.db.pool import Connection, Pool

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
