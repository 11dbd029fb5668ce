"""What urgent actions achieved, across cases, through the front door: the public page (in
every language, charts with their tables) and the workspace's, counting the cases acted on,
those with an improvement, another outcome or none yet, and the time to an outcome, by year,
region, risk and country; and the network's months on its workspace page."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest

from campaign_engine.db.pool import Pool
from tests.conftest import Drain
from tests.factories import make_action
from tests.smtp import RecordingHandler
from tests.staff import Campaigner
from tests.supporter_updates import add_event
from tests.test_network import member_path
from tests.test_network_alerts import join

# A country no other test's cases are in: its rows are this test's alone.
COUNTRY = "IS"


async def case_of(pool: Pool, slug: str) -> int:
    case_id: int = await pool.fetchval("SELECT case_id FROM actions WHERE slug = $1", slug)
    return case_id


async def opened_days_ago(pool: Pool, slug: str, days: int) -> None:
    await pool.execute(
        "UPDATE actions SET opened_at = now() - make_interval(days => $2) WHERE slug = $1",
        slug,
        days,
    )


async def outcome_on(pool: Pool, slug: str, outcome: str, *, published: bool = True) -> None:
    """An outcome on the action's case, on its timeline (published, unless told)."""
    texts = {"en": ("News", "What happened.")}
    case_id = await case_of(pool, slug)
    await add_event(pool, case_id, texts, kind="outcome", outcome=outcome, published=published)


def figure(page: str, name: str) -> int:
    found = re.search(rf'id="figure-{name}">([\d,]+)', page)
    assert found is not None, name
    return int(found.group(1).replace(",", ""))


def row_of(page: str, table: str, label: str) -> list[str]:
    """The cells of the row headed `label` in the table `table`."""
    body = page.split(f'id="{table}-table"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        if f"<bdi>{label}</bdi>" in row:
            return [cell.strip() for cell in re.findall(r'<td class="number">(.*?)</td>', row)]
    raise AssertionError(f"no row {label!r} in {table}")


async def test_the_impact_page_counts_what_came_of_the_cases_acted_on(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    before = (await client.get("/en/impact")).text
    released = await make_action(pool, country=COUNTRY, risk_category="death_penalty")
    no_change = await make_action(pool, country=COUNTRY, risk_category="death_penalty")
    unpublished = await make_action(pool, country=COUNTRY, risk_category="torture")
    await make_action(pool, country=COUNTRY, status="draft")  # not acted on yet
    for slug in (released, no_change, unpublished):
        await opened_days_ago(pool, slug, 30)
    await outcome_on(pool, released, "released")
    await outcome_on(pool, no_change, "no_change")
    await outcome_on(pool, unpublished, "released", published=False)

    after = await client.get("/en/impact")
    assert after.status_code == 200
    page = after.text
    assert figure(page, "cases") == figure(before, "cases") + 3
    assert figure(page, "improved") == figure(before, "improved") + 1
    assert figure(page, "other") == figure(before, "other") + 1
    # cases, improved, another outcome, none yet, share improved, time to an outcome
    assert row_of(page, "impact-country", "Iceland") == ["3", "1", "1", "1", "33%", "1 month"]
    assert row_of(page, "impact-theme", "Death penalty") != []
    assert row_of(page, "impact-region", "Northern Europe")[0] == "3"
    assert row_of(page, "impact-year", str(datetime.now(UTC).year))
    assert 'class="chart-improved"' in page
    assert ">33%</text>" in page, "each bar ends with its share improved"
    assert 'role="img"' in page


@pytest.mark.parametrize(
    ("locale", "direction"), [("ar", "rtl"), ("zh-Hans", "ltr"), ("fr", "ltr")]
)
async def test_the_impact_page_speaks_every_language(
    client: httpx.AsyncClient, pool: Pool, locale: str, direction: str
) -> None:
    await outcome_on(pool, await make_action(pool, country=COUNTRY), "released")
    answer = await client.get(f"/{locale}/impact")
    assert answer.status_code == 200
    assert f'lang="{locale}" dir="{direction}"' in answer.text
    assert f'direction="{direction}"' in answer.text, "bars grow in the reading direction"
    home = await client.get(f"/{locale}", follow_redirects=True)
    assert f'href="/{locale}/impact"' in home.text, "every page's footer links to it"


def month_row(page: str) -> list[str]:
    """This month's cells in the network's table of months."""
    this_month = datetime.now(UTC).strftime("%B %Y")
    body = page.split('id="chart-growth-table"', 1)[1]
    row = body.split(f'<th scope="row">{this_month}</th>', 1)[1].split("</tr>", 1)[0]
    return [cell.replace(",", "") for cell in re.findall(r'<td class="number">(\d[\d,]*)', row)]


async def test_the_workspace_shows_the_same_figures_and_the_networks_months(
    client: httpx.AsyncClient,
    pool: Pool,
    campaigner: Campaigner,
    smtp: RecordingHandler,
    drain: Drain,
) -> None:
    public = (await client.get("/en/impact")).text
    workspace = await campaigner.client.get("/admin/impact")
    assert workspace.status_code == 200
    for name in ("cases", "improved", "other"):
        assert figure(workspace.text, name) == figure(public, name)
    before = month_row((await campaigner.client.get("/admin/network")).text)
    email = await join(client, smtp, drain, language_1="en")
    network = await campaigner.client.get("/admin/network")
    assert 'id="chart-growth"' in network.text, "drawn once someone joined or left"
    after = month_row(network.text)
    assert int(after[0]) == int(before[0]) + 1, "joined this month"
    assert int(after[2]) == int(before[2]) + 1, "members at the month's end"

    # Leaving, then asking to join again without saying yes, is not being a member.
    form = {"email": email, "language_1": "en", "consent_network": "yes", "frequency": "every"}
    await client.post("/en/network", data=form)
    await drain()
    page = member_path(smtp.to(email)[-1])
    assert (await client.post(f"{page}/leave")).status_code == 200
    await client.post("/en/network", data=form)
    left = month_row((await campaigner.client.get("/admin/network")).text)
    assert int(left[1]) == int(after[1]) + 1, "left this month"
    assert int(left[2]) == int(before[2]), "not a member while their new request waits"
    anonymous = await client.get("/admin/impact", follow_redirects=False)
    assert anonymous.status_code in (302, 303)


async def test_an_outcome_before_the_action_took_no_time(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool, country="LI")
    await opened_days_ago(pool, slug, -3)  # the news crossed the action
    await outcome_on(pool, slug, "released")
    page = (await client.get("/en/impact")).text
    assert row_of(page, "impact-country", "Liechtenstein") == [
        "1",
        "1",
        "0",
        "0",
        "100%",
        "0 seconds",
    ]
