"""Bringing an existing network in from a CSV file, through the workspace: the preview says
what it would do and saves nothing, problems come with their line and column, applying it
makes members with their consent evidence, once; a member already in the network keeps their
own choices, someone who left is never brought back, and the new members hear of the next
alert that matches them."""

from __future__ import annotations

import uuid

import httpx

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.test_network import member_state
from tests.test_network_alerts import alerts_to, join, publish

HEADER = (
    "email;languages;countries;frequency;weekly_cap;consented_at;consent_text;consent_source;"
    "regions\n"
)


def address() -> str:
    return f"imported-{uuid.uuid4().hex[:10]}@example.org"


async def upload(campaigner: Campaigner, content: str) -> httpx.Response:
    files = {"file": ("network.csv", content.encode(), "text/csv")}
    return await campaigner.client.post(
        "/admin/network/import", data={"csrf_token": campaigner.csrf()}, files=files
    )


def apply_path(preview: httpx.Response) -> str:
    start = preview.text.index('action="/admin/network/import/') + len('action="')
    return preview.text[start : preview.text.index('"', start)]


async def test_a_network_comes_in_with_its_consent_and_choices_once(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    already = await join(client, smtp, drain, language_1="en")
    new_fr, new_ar = address(), address()
    content = (
        HEADER
        + f"{new_fr};fr en;TN ML;capped;3;2024-03-01;Alertez-moi.;paper petition;154 039\n"
        + f"{new_ar};ar;;;;2023-11-20T10:00:00Z;نبّهوني.;\n"
        + f"{already};ru;;weekly;;2024-01-01;Alert me.;\n"
        + "not-an-address;fr;;;;2024-01-01;Alertez-moi.;\n"
        + f"{address()};xx;;;;2099-01-01;;\n"
        + f"{new_fr};fr;;;;2024-03-01;Alertez-moi.;\n"
    )
    preview = await upload(campaigner, content)
    assert preview.status_code == 200
    assert "2 new members" in preview.text
    assert "1 member already, left as they are" in preview.text
    assert new_fr not in preview.text, "the preview lists no address"
    for line, column in ((5, "email"), (6, "languages"), (6, "consented_at"), (7, "email")):
        assert f'<td class="number">{line}</td>\n        <td><code>{column}</code>' in preview.text
    assert await member_state(pool, new_fr) is None, "a preview saves nothing"

    applied = await campaigner.post(apply_path(preview))
    assert applied.status_code == 303
    assert "added=2" in applied.headers["location"]
    state = await member_state(pool, new_fr)
    assert state is not None
    assert (state["status"], state["languages"], state["countries"]) == (
        "active",
        ["fr", "en"],
        ["ML", "TN"],
    )
    assert (state["frequency"], state["weekly_cap"]) == ("capped", 3)
    assert state["regions"] == ["039", "154"]
    consent = await pool.fetchrow(
        """SELECT r.granted, r.source, r.created_at::date AS day, t.text, t.locale
           FROM consent_records r JOIN consent_texts t ON t.id = r.consent_text_id
           WHERE r.supporter_id = $1 AND r.scope = 'network'""",
        state["supporter_id"],
    )
    assert consent is not None
    assert (consent["granted"], consent["source"], consent["text"], consent["locale"]) == (
        True,
        "import: paper petition",
        "Alertez-moi.",
        "fr",
    )
    assert str(consent["day"]) == "2024-03-01"
    kept = await member_state(pool, already)
    assert kept is not None
    assert kept["languages"] == ["en"], "a member's own choices are theirs"
    again = await campaigner.post(apply_path(preview))
    assert again.status_code == 409

    slug = await make_action(pool, status="draft", locales=("en", "ar"))
    await publish(campaigner, slug)
    await drain()
    assert [m["Content-Language"] for m in alerts_to(smtp, new_ar)] == ["ar"]
    assert smtp.to(new_fr) == [], "the action is in Mexico, not Mali or Tunisia"


async def test_someone_who_left_is_never_brought_back_by_a_file(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    campaigner: Campaigner,
) -> None:
    departed = await join(client, smtp, drain, language_1="en")
    state = await member_state(pool, departed)
    assert state is not None
    await pool.execute(
        "UPDATE members SET status = 'left', left_at = now() WHERE supporter_id = $1",
        state["supporter_id"],
    )
    preview = await upload(campaigner, HEADER + f"{departed};en;;;;2024-01-01;Alert me.;\n")
    assert "1 person who left the network, not brought back" in preview.text
    assert "There is nothing to apply." in preview.text
    assert (await member_state(pool, departed) or {})["status"] == "left"


async def test_a_file_that_is_not_a_network_is_refused_with_a_reason(
    campaigner: Campaigner,
) -> None:
    refused = await upload(campaigner, "name,title\nAna,Minister\n")
    assert refused.status_code == 422
    assert "email, languages, consented_at, consent_text" in refused.text
