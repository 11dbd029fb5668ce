"""One action's dashboard, read through HTTP the way a campaigner (or their screen reader)
reads it: the figures, the table under every chart, the letters to officials, in English and
right to left in Arabic."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from asgi_lifespan import LifespanManager
from starlette.types import ASGIApp

from campaign_engine.app import create_app
from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.dashboard import Held
from campaign_engine.models.signing import ConsentScope
from campaign_engine.models.workspace import Role
from campaign_engine.settings import Settings
from tests.dashboard_data import (
    Signer,
    add_signatures,
    attributes_of,
    rows_by_label,
    set_delivery_statuses,
    tables_of,
)
from tests.factories import add_target, make_action
from tests.staff import Campaigner, signed_in

MIX = [
    Signer("Amina", "FR", "fr", source="newsletter", partner="demo-partner",
           consents=(ConsentScope.UPDATES, ConsentScope.PARTNER)),
    Signer("李伟", "CN", "zh-Hans", source="twitter"),
    Signer("محمد", "EG", "ar"),
    Signer("Marie", "FR", "fr", status="pending", source="newsletter"),
    Signer("Carla", "MX", "es", status="pending", partner="demo-partner"),
    Signer("Eve", "GB", "en", status="invalidated"),
]  # fmt: skip


@pytest.fixture(scope="module")
async def mixed(pool: Pool) -> str:
    """An action with a known mix of signatures, and appeals to one official in several
    states."""
    slug = await make_action(pool, goal=10)
    await add_target(pool, slug)
    await add_signatures(pool, slug, MIX)
    # Four confirmed signatures (one since invalidated) made four appeals.
    await set_delivery_statuses(
        pool,
        slug,
        [("sent", None), ("failed", "SMTPRecipientsRefused 550"), ("retry", "timeout")],
    )
    return slug


async def test_the_dashboard_shows_the_figures_of_a_known_mix(
    campaigner: Campaigner, mixed: str
) -> None:
    page = await campaigner.client.get(f"/admin/actions/{mixed}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert f"UA {mixed}" in page.text
    figures = attributes_of(page.text)
    assert "figure-confirmed" in figures
    assert re.search(r'id="figure-confirmed">3<', page.text)
    assert re.search(r'id="figure-pending">2<', page.text)
    assert re.search(r'id="figure-invalidated">1<', page.text)
    assert re.search(r'id="figure-rate">60%<', page.text), "3 of 5 signers confirmed"
    assert "3 of the goal of 10 (30%)" in page.text
    assert '<progress id="goal-progress" max="10" value="3">' in page.text

    tables = tables_of(page.text)
    countries = rows_by_label(tables["chart-country-table"])
    assert countries["France"] == ["1", "1"]
    assert countries["China"] == ["1", "0"]
    assert countries["Egypt"] == ["1", "0"]
    assert countries["Mexico"] == ["0", "1"]
    assert "United Kingdom" not in countries, "an invalidated signature counts nowhere"
    assert countries["Total"] == ["3", "2"]
    languages = rows_by_label(tables["chart-language-table"])
    assert languages["French"] == ["1", "1"]
    assert languages["Chinese (Simplified)"] == ["1", "0"]
    assert languages["Arabic"] == ["1", "0"]
    assert languages["Spanish"] == ["0", "1"]
    sources = rows_by_label(tables["chart-source-table"])
    assert sources["newsletter"] == ["1", "1"]
    assert sources["twitter"] == ["1", "0"]
    assert sources["None given"] == ["1", "1"]
    partners = rows_by_label(tables["chart-partner-table"])
    assert partners["demo-partner"] == ["1", "1"]
    assert partners["No partner"] == ["2", "1"]
    over_time = rows_by_label(tables["chart-time-table"])
    assert over_time["Hour (UTC)"] == ["Confirmed", "Awaiting confirmation"], "a young action"
    assert over_time["Total"] == ["3", "2"]


async def test_the_letters_to_officials_are_counted_by_status(
    campaigner: Campaigner, mixed: str
) -> None:
    page = await campaigner.client.get(f"/admin/actions/{mixed}")
    rows = tables_of(page.text)["deliveries-table"]
    header, official = rows[0], rows[1]
    counts = dict(zip(header, official, strict=True))
    assert counts["Channel"] == "Email"
    assert counts["Held back"] == "1"
    assert counts["Sent"] == "1"
    assert counts["Failed"] == "1"
    assert counts["To retry"] == "1"
    assert counts["Delivered"] == "0"
    assert counts["Last error"] in ("SMTPRecipientsRefused 550", "timeout")


async def test_every_chart_is_a_picture_described_by_its_data_table(
    campaigner: Campaigner, mixed: str
) -> None:
    page = await campaigner.client.get(f"/admin/actions/{mixed}")
    charts = re.findall(r"<svg [^>]*>", page.text)
    assert len(charts) == 5, "over time, by country, language, source and partner"
    elements, tables = attributes_of(page.text), tables_of(page.text)
    for chart in charts:
        assert 'role="img"' in chart
        assert re.search(r'aria-label="[^"]{20,}"', chart)
        described_by = re.search(r'aria-describedby="([^"]+)"', chart)
        assert described_by is not None
        table_id = described_by.group(1)
        assert table_id in tables, f"{table_id} is not a table on the page"
        caption = elements[table_id.replace("-table", "-caption")]
        assert caption is not None
    # The workspace's Content-Security-Policy allows neither scripts nor inline styles.
    assert "<script" not in page.text
    assert " style=" not in page.text
    assert 'scope="col"' in page.text
    assert 'scope="row"' in page.text


async def test_the_dashboard_reads_right_to_left_in_arabic(
    asgi_app: ASGIApp, pool: Pool, mixed: str
) -> None:
    arabic = await signed_in(asgi_app, pool, Role.VIEWER)
    await arabic.post("/admin/account/language", {"locale": "ar"})
    page = await arabic.client.get(f"/admin/actions/{mixed}")
    await arabic.client.aclose()
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    country_chart = re.search(r'<svg [^>]*id="chart-country".*?</svg>', page.text, re.S)
    assert country_chart is not None
    assert 'direction="rtl"' in country_chart.group(0)
    # The longest bar starts at the right edge and grows leftwards.
    first_bar = re.search(r'<rect class="chart-confirmed" x="([\d.]+)" [^>]*width="([\d.]+)"',
                          country_chart.group(0))  # fmt: skip
    assert first_bar is not None
    assert float(first_bar.group(1)) + float(first_bar.group(2)) == pytest.approx(640, abs=0.2)
    countries = rows_by_label(tables_of(page.text)["chart-country-table"])
    assert countries["فرنسا"] == ["١", "١"] or countries["فرنسا"] == ["1", "1"]
    # Time still runs left to right, as the chart says.
    assert re.search(r'<svg [^>]*id="chart-time"[^>]*direction="ltr"', page.text)


async def test_every_role_sees_the_dashboard_but_only_exporters_see_the_export_link(
    asgi_app: ASGIApp, pool: Pool, mixed: str
) -> None:
    for role, exports in ((Role.VIEWER, False), (Role.TRANSLATOR, False), (Role.ADMIN, True)):
        member = await signed_in(asgi_app, pool, role)
        page = await member.client.get(f"/admin/actions/{mixed}")
        await member.client.aclose()
        assert page.status_code == 200, role
        assert (f"/admin/actions/{mixed}/export" in page.text) is exports, role
        assert (f"/admin/actions/{mixed}/edit" in page.text) is (role is Role.ADMIN), role
        assert f"/admin/actions/{mixed}/targets" in page.text, "every role may read the targets"


async def test_an_unknown_action_is_not_found(campaigner: Campaigner) -> None:
    page = await campaigner.client.get("/admin/actions/no-such-action")
    assert page.status_code == 404
    assert "No such action" in page.text


async def test_an_action_nobody_signed_says_so(campaigner: Campaigner, pool: Pool) -> None:
    slug = await make_action(pool, status="draft", goal=0)
    page = await campaigner.client.get(f"/admin/actions/{slug}")
    assert page.status_code == 200
    assert "Nobody has signed yet." in page.text
    assert "<svg" not in page.text
    assert "This action has no goal." in page.text
    assert f'/actions/{slug}"' not in page.text.replace(f'/admin/actions/{slug}"', ""), (
        "a draft has no public page to link to"
    )


async def test_an_older_action_is_charted_by_the_day_with_quiet_days_at_zero(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    await add_signatures(
        pool,
        slug,
        [Signer("Early", signed_at=ten_days_ago), Signer("Today", status="pending")],
    )
    page = await campaigner.client.get(f"/admin/actions/{slug}")
    over_time = tables_of(page.text)["chart-time-table"]
    assert over_time[0][0] == "Day (UTC)"
    days = over_time[1:-1]  # without the header and the total
    assert len(days) == 11, "every day from the first signature to today"
    assert days[0][1:] == ["1", "0"]
    assert days[-1][1:] == ["0", "1"]
    assert all(day[1:] == ["0", "0"] for day in days[1:-1])


async def test_the_fifteen_largest_countries_are_shown_and_the_rest_summed(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    codes = ["FR", "DE", "ES", "IT", "PT", "BE", "NL", "LU", "AT", "CH", "PL", "CZ", "SK", "HU"]
    codes += ["RO", "BG", "GR"]
    await add_signatures(
        pool, slug, [Signer(f"S{n}", code) for n, code in enumerate(codes)] + [Signer("X", "FR")]
    )
    page = await campaigner.client.get(f"/admin/actions/{slug}")
    countries = tables_of(page.text)["chart-country-table"][1:-1]
    assert len(countries) == 16
    assert countries[0] == ["France", "2", "0"]
    assert countries[-1] == ["Other", "2", "0"]


@pytest.fixture(scope="module")
async def holding_app(settings: Settings) -> AsyncIterator[ASGIApp]:
    """The app holding every dashboard for a minute, as it holds one that took 6 s to count."""
    async with LifespanManager(
        create_app(settings, dashboards=Held(hold_from=0, hold_for=1e6))
    ) as manager:
        yield manager.app


async def test_a_dashboard_slow_to_count_is_held_and_says_when_it_was_counted(
    holding_app: ASGIApp, asgi_app: ASGIApp, pool: Pool
) -> None:
    """Campaigners watching an action of a million signatures must not take PostgreSQL from
    its signers: its figures are counted at most about once a minute per process, and the
    page says when they were."""
    slug = await make_action(pool)
    await add_signatures(pool, slug, MIX[:2])
    watcher = await signed_in(holding_app, pool, Role.CAMPAIGNER)
    first = await watcher.client.get(f"/admin/actions/{slug}")
    assert re.search(r'id="figure-confirmed">2<', first.text)
    assert 'id="counted-at"' in first.text, "a large action says so from its first count"
    await add_signatures(pool, slug, MIX[2:3])
    again = await watcher.client.get(f"/admin/actions/{slug}")
    assert re.search(r'id="figure-confirmed">2<', again.text), "held"
    assert re.search(r'counted-at.*<time datetime="[^"]+">', again.text)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ">', again.text)
    # The counts wait; the action itself does not.
    await pool.execute("UPDATE actions SET status = 'closed' WHERE slug = $1", slug)
    closed = await watcher.client.get(f"/admin/actions/{slug}")
    assert "badge-closed" in closed.text
    assert re.search(r'id="figure-confirmed">2<', closed.text)
    # A process that counts quickly (every action of this size) counts on every view.
    fresh = await signed_in(asgi_app, pool, Role.CAMPAIGNER)
    page = await fresh.client.get(f"/admin/actions/{slug}")
    assert re.search(r'id="figure-confirmed">3<', page.text)
    assert 'id="counted-at"' not in page.text
