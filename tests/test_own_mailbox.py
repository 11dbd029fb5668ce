""" "Send from my own mailbox": an action may offer supporters a mailto link to each official
it writes to by email, with the letter in the official's language and a blind copy to our
relay; the copy's arrival marks the appeal as the supporter's own, and the relay does not send
it. Appeals by email wait a day for it, then go from the relay as usual."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import uuid4

import httpx

from campaign_engine.db.pool import Pool
from campaign_engine.domain.campaigns.dashboard import read_dashboard
from campaign_engine.domain.delivery.appeals import AppealLetter, wake_pacers
from campaign_engine.i18n import Catalogues
from campaign_engine.messages.emails import MessageTemplates
from campaign_engine.messages.mailto import MAX_MAILTO, mailto_letter
from campaign_engine.settings import Settings
from campaign_engine.templating import create_environment
from tests.clock import FakeClock
from tests.conftest import Drain
from tests.factories import add_target, confirmation_path, make_action, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner

MAILTO = re.compile(r'href="(mailto:[^"]+)"')


async def _offering(pool: Pool) -> str:
    slug = await make_action(pool)
    await pool.execute("UPDATE actions SET own_mailbox = true WHERE slug = $1", slug)
    return slug


async def _sign_and_confirm(
    client: httpx.AsyncClient, smtp: RecordingHandler, drain: Drain, slug: str
) -> httpx.Response:
    email = unique_email("awa")
    form = {
        "name": "Awa Traoré",
        "email": email,
        "country": "SN",
        "comment": "Je suis enseignante.",
    }
    signed = await client.post(f"/fr/actions/{slug}/sign", data=form)
    assert signed.status_code == 303
    await drain()
    [mail] = smtp.to(email)
    confirmed = await client.get(confirmation_path(mail))
    assert confirmed.status_code == 303
    return confirmed


def _bcc_copy(bcc: str, official: str) -> bytes:
    """The supporter's own mail, as the relay's forwarding hands it to us: the blind copy's
    address only in the envelope's Delivered-To."""
    message = EmailMessage()
    message["From"] = "Awa Traoré <awa@example.net>"
    message["To"] = official
    message["Delivered-To"] = bcc
    message["Subject"] = "Carta"
    message.set_content("Estimada Sra. Fiscal General: ...")
    return message.as_bytes()


async def test_a_supporter_sends_their_appeal_themselves_and_the_relay_does_not(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    clock: FakeClock,
    settings: Settings,
) -> None:
    slug = await _offering(pool)
    _target, official = await add_target(
        pool, slug, preferred_locale="es", salutations={"es": "Estimada Sra. Fiscal:"}
    )
    confirmed = await _sign_and_confirm(client, smtp, drain, slug)
    thanks_url = confirmed.headers["location"]
    assert thanks_url.startswith(f"/fr/actions/{slug}/thanks?mine=")
    thanks = await client.get(thanks_url)
    assert thanks.headers["cache-control"] == "no-store", "the supporter's letters are theirs"
    links = [html.unescape(link) for link in MAILTO.findall(thanks.text)]
    [href] = [link for link in links if "bcc=" in link]  # the others share the action
    assert len(href) <= MAX_MAILTO
    parts = urlsplit(href)
    assert unquote(parts.path) == official
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert fields["subject"] == "Letter subject in es", "in the official's language"
    assert fields["body"].startswith("Estimada Sra. Fiscal:\r\n\r\nLetter in es.")
    assert "Je suis enseignante." in fields["body"]
    assert "Awa Traoré\r\nSenegal" in fields["body"]
    bcc = fields["bcc"]
    assert re.fullmatch(r"replies\+sent-[0-9a-f-]{36}@example\.org", bcc), bcc

    other = await client.get(f"/fr/actions/{slug}/thanks?mine=forged")
    assert "bcc=" not in other.text, "a token not ours shows nothing"
    await drain()
    assert smtp.to(official) == [], "the relay waits for the supporter's own"

    forward = {
        "Content-Type": "message/rfc822",
        "Authorization": f"Bearer {settings.inbound_email_token}",
    }
    for _ in range(2):  # a provider's retry changes nothing
        answer = await client.post(
            "/webhooks/email", content=_bcc_copy(bcc, official), headers=forward
        )
        assert answer.json() == {"recorded": "sent by supporter"}
    row = await pool.fetchrow(
        "SELECT status, by_supporter FROM deliveries WHERE id = $1",
        bcc.split("sent-")[1].split("@")[0],
    )
    assert row is not None
    assert (row["status"], row["by_supporter"]) == ("sent", True)

    clock.advance(timedelta(days=1, minutes=5))
    await wake_pacers(pool, [(_target, "email")])
    await drain()
    assert smtp.to(official) == [], "sent once, by the supporter"
    dashboard = await read_dashboard(pool, clock, slug, "en")
    assert dashboard.variety.by_supporter == 1


async def test_without_the_copy_the_relay_sends_it_after_a_day(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    clock: FakeClock,
) -> None:
    slug = await _offering(pool)
    target_id, official = await add_target(pool, slug, preferred_locale="es")
    await _sign_and_confirm(client, smtp, drain, slug)
    clock.advance(timedelta(hours=23))
    await wake_pacers(pool, [(target_id, "email")])
    await drain()
    assert smtp.to(official) == []
    clock.advance(timedelta(hours=1, minutes=5))
    await wake_pacers(pool, [(target_id, "email")])
    await drain()
    [appeal] = smtp.to(official)
    assert str(appeal["From"]).startswith("Awa Traoré"), "relayed in her name"


async def test_the_campaigner_offers_it_in_the_actions_settings(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    editor = await campaigner.client.get(f"/admin/actions/{slug}/edit")
    assert 'name="own_mailbox"' in editor.text
    saved = await campaigner.post(
        f"/admin/actions/{slug}/edit",
        {"time_zone": "UTC", "goal": "100", "reply_to": "relay", "own_mailbox": "on"},
    )
    assert saved.status_code == 303, saved.text
    assert await pool.fetchval("SELECT own_mailbox FROM actions WHERE slug = $1", slug)


def appeal_letter(**words: Any) -> AppealLetter:
    """An appeal by email to an official, with these words (a mailto link's whole input)."""
    base = AppealLetter(
        delivery_id=uuid4(),
        channel="email",
        case_id=1,
        locale="en",
        to_name="Minister",
        to_address="minister@example.org",
        address_ok=True,
        salutation=None,
        subject="Release her",
        body="Release her now.",
        signer_name="Signer",
        signer_country="CN",
        signer_email="signer@example.net",
        comment=None,
        action_code="UA 1/26",
        reply_to_supporter=False,
    )
    return dataclasses.replace(base, **words)


def test_a_long_letter_is_cut_to_what_a_link_carries_and_offered_whole(
    settings: Settings,
) -> None:
    templates = MessageTemplates(
        create_environment(settings.templates_dir), Catalogues(settings.locales_dir)
    )
    paragraphs = [
        f"第{n}段：我们要求立即无条件释放她，并保障她获得律师和家人探视的权利。" * 3
        for n in range(8)
    ]
    letter = appeal_letter(
        locale="zh-Hans",
        to_name="王部长",
        salutation="尊敬的王部长：",
        subject="立即释放她",
        body="\n\n".join(paragraphs),
        signer_name="李伟",
        signer_country="CN",
        comment=None,
    )
    link = mailto_letter(templates, settings, letter)
    assert len(link.href) <= MAX_MAILTO
    assert not link.complete
    body = parse_qs(urlsplit(link.href).query)["body"][0]
    assert body.startswith("尊敬的王部长：")
    assert "…" in body
    assert body.rstrip().endswith("李伟\r\n中国"), "the name is never cut"
    assert all(paragraph in link.text for paragraph in paragraphs), "the whole letter, to paste"


def test_a_link_stays_within_bounds_whatever_the_signer_wrote(settings: Settings) -> None:
    templates = MessageTemplates(
        create_environment(settings.templates_dir), Catalogues(settings.locales_dir)
    )
    letter = appeal_letter(
        locale="ar",
        to_name="الوزير",
        salutation="معالي الوزير،",
        subject="أطلقوا سراحها",
        body="نطالب بالإفراج عنها فورًا.",
        signer_name="ليلى",
        signer_country="EG",
        comment="أكتب إليكم من القاهرة لأن ما حدث لها يهمني كثيرًا. " * 18,
    )
    link = mailto_letter(templates, settings, letter)
    assert len(link.href) <= MAX_MAILTO
    assert not link.complete
    assert letter.comment is not None
    assert letter.comment.strip() in link.text, "the whole letter stays on the page, to paste"


async def test_another_actions_page_shows_nothing_of_a_signers_own(
    client: httpx.AsyncClient, pool: Pool, smtp: RecordingHandler, drain: Drain
) -> None:
    slug = await _offering(pool)
    await add_target(pool, slug, preferred_locale="es")
    other = await _offering(pool)
    await pool.execute("UPDATE actions SET asks_solidarity = true WHERE slug = $1", other)
    confirmed = await _sign_and_confirm(client, smtp, drain, slug)
    token = confirmed.headers["location"].split("?mine=")[1]
    elsewhere = await client.get(f"/fr/actions/{other}/thanks?mine={token}")
    assert "bcc=" not in elsewhere.text
    assert 'name="message"' not in elsewhere.text
    written = await client.post(
        f"/fr/actions/{other}/solidarity", data={"mine": token, "message": "Courage"}
    )
    assert written.status_code == 409
