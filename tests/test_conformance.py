"""What the conformance read (vnu, SpamAssassin, the Observatory's rules) found, kept mended:
the cross-origin and permissions headers on every response, partners' pages on https://
outside development, mail headers folded within 78 characters with a numeric Date, and
`<time datetime>` values HTML accepts."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.utils import unquote
from uuid import UUID, uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager

from campaign_engine.app import create_app
from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.digests import DigestLetter
from campaign_engine.domain.delivery.mailings import UpdateMessage
from campaign_engine.domain.integrations.partners import plain_http_origins_allowed
from campaign_engine.domain.network.alerts import AlertMessage
from campaign_engine.messages.appeals import compose_digest_email
from campaign_engine.messages.mime import OutgoingEmail
from campaign_engine.messages.network_alerts import compose_alert_email
from campaign_engine.messages.supporter_updates import compose_update_email
from campaign_engine.models.campaigns import CaseEventKind
from campaign_engine.security.tokens import Tokens
from campaign_engine.settings import Settings
from campaign_engine.web.admin.integrations.partners_forms import parse_partner
from tests.conftest import TEST_SECRET, http_client
from tests.factories import make_action
from tests.sample_messages import Writers, appeal_email, confirmation_email, message_writers
from tests.staff import Campaigner
from tests.test_embed import frame_ancestors, make_partner

# Headers on every response ---------------------------------------------------------------

PERMISSIONS = (
    "accelerometer=(), browsing-topics=(), camera=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), payment=(), usb=()"
)


async def test_every_kind_of_response_carries_the_cross_origin_headers(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    """What partners' pages load from us (the loader, the widget, our static files) may be
    loaded across origins; nothing else may."""
    slug = await make_action(pool)
    partner, key = await make_partner(pool)
    shared = {
        "loader": "/embed.js",
        "static file": "/static/site.css",
        "widget": f"/en/embed/{slug}?partner={partner}&key={key}",
        "widget of nothing": "/en/embed/no-such-action",
    }
    ours = {
        "page": f"/en/actions/{slug}",
        "index": "/fr/",
        "API": "/api/v1/actions",
        "API error": "/api/v1/actions/no-such-action",
        "document": "/api/v1/openapi.json",
        "not found": "/en/nowhere",
        "health": "/healthz",
        "workspace door": "/admin/login",
    }
    for kind, paths in (("cross-origin", shared), ("same-origin", ours)):
        for name, path in paths.items():
            answer = await client.get(path)
            assert answer.headers["cross-origin-resource-policy"] == kind, name
            assert answer.headers["cross-origin-opener-policy"] == "same-origin", name
            assert answer.headers["permissions-policy"] == PERMISSIONS, name
            assert answer.headers["x-content-type-options"] == "nosniff", name
    refused = await client.put("/admin/login")
    assert refused.status_code == 405
    assert refused.headers["permissions-policy"] == PERMISSIONS


# Partners' pages on https:// -----------------------------------------------------------


def partner_form(origins: str) -> dict[str, str]:
    return {"name": "Amnesty Lyon", "contact_email": "", "allowed_origins": origins}


def test_plain_http_is_a_partner_origin_outside_production_only() -> None:
    assert plain_http_origins_allowed("development")
    assert plain_http_origins_allowed("test")
    assert not plain_http_origins_allowed("production")
    origins = "https://Lyon.example:443/\nhttp://localhost:8001"
    taken = parse_partner(partner_form(origins), plain_http=True)
    assert not isinstance(taken, dict)
    assert taken.allowed_origins == ("https://lyon.example", "http://localhost:8001")
    refused = parse_partner(partner_form(origins), plain_http=False)
    assert isinstance(refused, dict)
    assert "http://localhost:8001" in refused["allowed_origins"]
    assert "https://" in refused["allowed_origins"]
    only_https = parse_partner(partner_form("https://lyon.example"), plain_http=False)
    assert not isinstance(only_https, dict)


@pytest.fixture(scope="module")
async def production(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app as production runs it (HSTS, https-only partners), on the tests' servers."""
    app = create_app(replace(settings, environment="production"))
    async with LifespanManager(app) as manager, http_client(manager.app) as client:
        yield client


async def test_in_production_a_stored_http_origin_frames_nothing_and_posts_nothing(
    production: httpx.AsyncClient, pool: Pool, caplog: pytest.LogCaptureFixture
) -> None:
    """A partner saved with an http:// origin before the rule keeps its https:// ones; the
    plain one is left out (and logged), as if it were not there."""
    slug = await make_action(pool)
    plain = f"http://{uuid4().hex[:8]}.example"
    mixed, _key = await make_partner(pool, ("https://a.example", plain))
    only_plain, _key = await make_partner(pool, (plain,))
    with caplog.at_level(logging.WARNING, logger="campaign_engine.security"):
        framed = await production.get(f"/en/embed/{slug}?partner={mixed}")
        assert frame_ancestors(framed) == "https://a.example"
        assert framed.headers["strict-transport-security"].startswith("max-age=")
        alone = await production.get(f"/en/embed/{slug}?partner={only_plain}")
        assert frame_ancestors(alone) == "'self'"
    assert [r.getMessage() for r in caplog.records if plain in r.getMessage()] == [
        f"plain-HTTP partner origin {plain} may not frame"
    ], "logged once a process"

    path = f"/api/v1/actions/{slug}/signatures"
    for origin, allowed in (("https://a.example", True), (plain, False)):
        preflight = await production.options(path, headers={"Origin": origin})
        assert ("access-control-allow-origin" in preflight.headers) is allowed, origin


async def test_outside_production_the_demo_partners_plain_origin_still_frames(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    partner, _key = await make_partner(pool, ("http://localhost:8001",))
    framed = await client.get(f"/en/embed/{slug}?partner={partner}")
    assert frame_ancestors(framed) == "http://localhost:8001"
    preflight = await client.options(
        f"/api/v1/actions/{slug}/signatures", headers={"Origin": "http://localhost:8001"}
    )
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:8001"


# Mail headers ----------------------------------------------------------------------------

LONG_NAMES = [
    "María José Fernández-Castañeda de la Santísima Trinidad y Álvarez",
    "Министр юстиции Российской Федерации Константин Константинопольский",
    "中华人民共和国司法部部长中华人民共和国司法部部长中华人民共和国司法部",
    "وزير العدل وحقوق الإنسان في الجمهورية العربية المتحدة عبد الرحمن",
    "Dr. Jo “the Voice” O'Brien-Smythe, Jr., Special Rapporteur on Something",
    "Ana Maria Gonzalez de la Cruz Rodriguez y Fernandez Lopez Martinez",
]
OFFICIAL = "ministro.de.justicia@gobierno.example.gob"
SIGNER = "ana.maria@example.org"
# RFC 5322 §3.3: day, date, time and a numeric zone, as we write it (UTC).
RFC5322_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$"
)
Compose = Callable[[Writers, str, str], OutgoingEmail]


@pytest.fixture(scope="module")
def writers() -> Writers:
    return message_writers(
        EMAIL_FROM="Urgent Actions International <actions@example.org>",
        RELAY_EMAIL="replies@campaigns.example.org",
        PUBLIC_BASE_URL="https://act.example.org",
    )


def appeal(writers: Writers, name: str, locale: str) -> OutgoingEmail:
    subject = f"Liberen a {name}: una defensora de derechos humanos detenida sin cargos"
    return appeal_email(
        writers,
        signer=SIGNER,
        official=OFFICIAL,
        name=name,
        subject=subject,
        locale=locale,
        code="UA 123/26",
    )


def confirmation(writers: Writers, name: str, locale: str) -> OutgoingEmail:
    title = f"{name}: {name}"
    return confirmation_email(
        writers, signer=SIGNER, name=name, title=title, locale=locale, code="UA 123/26"
    )


def update(writers: Writers, name: str, locale: str) -> OutgoingEmail:
    settings, templates = writers
    tokens = Tokens(TEST_SECRET)
    unsubscribe = tokens.unsubscribe_token(UUID(int=2), "updates", locale)
    message = UpdateMessage(
        delivery_id=uuid4(),
        channel="email",
        to=SIGNER,
        reader_locale=locale,
        locale=locale,
        kind=CaseEventKind.UPDATE,
        outcome=None,
        title=f"Good news about {name}",
        body="She was released.",
        case_title=name,
        case_title_locale=locale,
        case_url="https://act.example.org/en/cases/her",
        unsubscribe_url=f"https://act.example.org/unsubscribe/{unsubscribe}",
        why="signer",
    )
    return compose_update_email(templates, settings, message)


def digest(writers: Writers, name: str, locale: str) -> OutgoingEmail:
    settings, templates = writers
    now = datetime.now(UTC)
    letter = DigestLetter(
        delivery_id=uuid4(),
        channel="email",
        locale=locale,
        to_name=name,
        to_address=OFFICIAL,
        address_ok=True,
        salutation=None,
        subject=f"Liberen a {name}",
        body="Free the defender.",
        action_code="UA 123/26 " + name,
        start=now - timedelta(days=1),
        end=now,
        total=2,
        countries=[("MX", 1), ("FR", 1)],
        names=[(name, "MX")],
        as_csv=True,
    )
    return compose_digest_email(templates, settings, letter)


def name_and_address(raw: str) -> tuple[str, str]:
    """An address header decoded as RFC 2047 §6.2 says (adjacent encoded words joined without
    the folding between them; Python 3.11's modern parser leaves a space there), then split
    into its display name and address."""
    decoded = str(make_header(decode_header(raw)))
    if "<" not in decoded:
        return "", decoded.strip()
    shown, _bracket, address = decoded.rpartition("<")
    return unquote(shown.strip()).replace('\\"', '"'), address.rstrip(">").strip()


def physical_header_lines(data: bytes) -> list[str]:
    return data.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")


def unbreakable(line: str) -> bool:
    """List-Unsubscribe's line: a link, which nothing may fold (RFC 5322 folds only where
    white space may stand, and a URL has none); longer than 78, shorter than 998."""
    return line.startswith("List-Unsubscribe: <https://") and line.count(" ") == 1


def network_alert(writers: Writers, name: str, locale: str) -> OutgoingEmail:
    settings, templates = writers
    message = AlertMessage(
        delivery_id=uuid4(),
        to=SIGNER,
        locale=locale,
        code="UA 123/26",
        title=f"Free {name}, held without charge",
        summary="A defender held without charge.",
        deadline=None,
        act_url="https://act.example.org/act/token",
        action_url="https://act.example.org/en/actions/her",
        sheet_url="https://act.example.org/en/actions/her/case-sheet.pdf",
        member_url="https://act.example.org/network/token",
        leave_url="https://act.example.org/network/token/leave",
    )
    return compose_alert_email(templates, settings, message)


@pytest.mark.parametrize("locale", ["es", "ru", "zh-Hans", "ar"])
@pytest.mark.parametrize("compose", [appeal, confirmation, update, digest, network_alert])
def test_every_header_line_we_write_fits_in_78_characters_and_unfolds_as_written(
    writers: Writers, compose: Compose, locale: str
) -> None:
    for name in LONG_NAMES:
        message = compose(writers, name, locale)
        lines = physical_header_lines(message.data)
        too_long = [line for line in lines if len(line) > 78 and not unbreakable(line)]
        assert too_long == [], name
        parsed = message_from_bytes(message.data, policy=policy.default)
        assert RFC5322_DATE.match(str(parsed["Date"])), parsed["Date"]
        # Unfolded and decoded by the standard library, each value is what was written.
        raw = message_from_bytes(message.data, policy=policy.compat32)
        for header in ("From", "To"):
            shown, address = name_and_address(raw[header])
            assert address in (OFFICIAL, SIGNER, "actions@example.org")
            if header == "To":
                assert shown in (name, ""), "the name as written, or none"
        for part in parsed.walk():
            assert not part.defects, part.defects
        if compose is appeal:
            assert parsed["Subject"] == (
                f"Liberen a {name}: una defensora de derechos humanos detenida sin cargos"
            )
        if compose in (update, network_alert):
            assert str(parsed["List-Unsubscribe"]).startswith("<https://act.example.org/")
        if compose is digest:
            (attached,) = parsed.iter_attachments()
            filename = attached.get_filename()
            assert filename == "UA-123-26-" + name.replace(" ", "-").replace("/", "-") + ".csv"


# <time datetime> -------------------------------------------------------------------------

# HTML's valid date string, or valid global date and time string (seconds optional, at most
# three digits of a fraction, a zone of Z or ±hh:mm).
VALID_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}"
    r"(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$"
)


def datetimes(html: str) -> list[str]:
    return re.findall(r'<time[^>]* datetime="([^"]*)"', html)


async def test_every_time_element_carries_a_datetime_html_accepts(
    client: httpx.AsyncClient, pool: Pool, campaigner: Campaigner
) -> None:
    """The deadline (which the database keeps to the microsecond), a published update on the
    case's timeline: on the action page, the widget, the case page and the workspace."""
    deadline = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=123456)
    slug = await make_action(pool, deadline=deadline)
    case = await pool.fetchrow(
        "SELECT c.id, c.slug FROM cases c JOIN actions a ON a.case_id = c.id WHERE a.slug = $1",
        slug,
    )
    assert case is not None
    case_id, case_slug = case["id"], case["slug"]
    event_id = await pool.fetchval(
        """INSERT INTO case_events (case_id, kind, occurred_at, published)
           VALUES ($1, 'update', now() - interval '1 day 00:00:00.654321', true) RETURNING id""",
        case_id,
    )
    await pool.execute(
        "INSERT INTO case_event_translations (event_id, locale, title, body) "
        "VALUES ($1, 'en', 'Moved to another prison', 'She was moved.')",
        event_id,
    )
    pages = {
        "action": (client, f"/en/actions/{slug}"),
        "case": (client, f"/en/cases/{case_slug}"),
        "workspace case": (campaigner.client, f"/admin/cases/{case_id}"),
        # The widget dates only the latest news, which it shows once the action has closed.
        "closed widget": (client, f"/en/embed/{slug}"),
    }
    for name, (reader, path) in pages.items():
        if name == "closed widget":
            await pool.execute("UPDATE actions SET status = 'closed' WHERE slug = $1", slug)
        page = await reader.get(path)
        assert page.status_code == 200, name
        found = datetimes(page.text)
        assert found, f"{name}: a <time datetime>"
        assert [value for value in found if not VALID_DATETIME.match(value)] == [], name
