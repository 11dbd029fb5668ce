"""Channels are declared once, and a new one needs nothing of any other module: a throwaway
channel, registered here as a new module would register itself, carries a real outbox row
from claim to recorded status. And what is missing is said when the worker starts: a kind of
message nothing reads, a channel module without its migration, or a migration without its
module."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.delivery.channels import CHANNELS, Channel, TypedAddresses
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.sending import KINDS, IncompleteRegistry
from campaign_engine.formats.fields import InvalidValue
from campaign_engine.models.delivery import (
    Delivery,
    DeliveryKind,
    SendOutcome,
    SendResult,
    SupporterMessageContext,
)
from tests.conftest import Drain, http_client
from tests.factories import make_action, unique_email
from tests.smtp import RecordingHandler
from tests.staff import Campaigner


@dataclass
class Loft:
    """The pigeons' provider: it takes a note and says which bird carries it."""

    notes: list[str] = field(default_factory=list)

    async def carry(self, sending: Sending, delivery: Delivery, note: str) -> SendResult:
        self.notes.append(note)
        return SendResult(SendOutcome.SENT, "in the air", provider_id=f"bird-{len(self.notes)}")


def pigeon_note(sending: Sending, delivery: Delivery, signer: SupporterMessageContext) -> str:
    return f"{signer.name}, please confirm your signature for {signer.action_code}"


def clean_loft(typed: str, _country: str | None) -> str:
    if not re.fullmatch(r"L-[0-9]{4}", typed.upper()):
        raise InvalidValue(f"{typed} is not a loft number.")
    return typed.upper()


@pytest.fixture
async def pigeons(pool: Pool, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Loft]:
    """The 'pigeon' channel: its module (declared here) and its migration (one row)."""
    loft = Loft()
    channel = Channel(
        name="pigeon",
        label="Carrier pigeon",
        writers={DeliveryKind.CONFIRMATION: pigeon_note},
        carry=loft.carry,
        reaches_officials=True,
        typed=TypedAddresses(
            clean=clean_loft,
            form_field="lofts",
            column="loft",
            label="Lofts",
            hint="One loft number per line, like L-1234.",
            file_hint="Loft numbers, like L-1234, separated by semicolons.",
            missing="This target has no loft: add one on its page first.",
            separators=re.compile(r"[\s,;]+"),
        ),
    )
    monkeypatch.setitem(CHANNELS, channel.name, channel)
    await pool.execute("INSERT INTO channels (name) VALUES ('pigeon')")
    yield loft
    # Its rows go back to email, so that the channel's row can leave with its module.
    await pool.execute("UPDATE deliveries SET channel = 'email' WHERE channel = 'pigeon'")
    await pool.execute("DELETE FROM target_contacts WHERE channel = 'pigeon'")
    await pool.execute("DELETE FROM channels WHERE name = 'pigeon'")


async def sign(app: ASGIApp, slug: str, email: str) -> httpx.Response:
    async with http_client(app, "192.0.2.77") as client:
        form = {"name": "Ana Pigeon", "email": email, "country": "MX"}
        return await client.post(f"/en/actions/{slug}/sign", data=form)


async def test_a_new_channel_carries_an_outbox_row_with_no_other_module_touched(
    asgi_app: ASGIApp, pool: Pool, pigeons: Loft, drain: Drain, smtp: RecordingHandler
) -> None:
    slug, email = await make_action(pool), unique_email("pigeon")
    assert (await sign(asgi_app, slug, email)).status_code == 303
    # The signer asked for the pigeon: their confirmation is the pigeon's to carry.
    delivery_id = await pool.fetchval(
        """UPDATE deliveries d SET channel = 'pigeon'
           FROM signatures s JOIN actions a ON a.id = s.action_id
           WHERE d.signature_id = s.id AND a.slug = $1 AND d.kind = 'confirmation'
           RETURNING d.id""",
        slug,
    )
    await drain()
    row = await pool.fetchrow(
        "SELECT status, provider_id, attempts FROM deliveries WHERE id = $1", delivery_id
    )
    assert row is not None
    assert pigeons.notes == [f"Ana Pigeon, please confirm your signature for UA {slug}"]
    assert (row["status"], row["provider_id"], row["attempts"]) == ("sent", "bird-1", 1)
    assert smtp.to(email) == [], "it went by pigeon, not by email"


async def test_a_new_channel_s_addresses_are_typed_in_the_target_form_and_file(
    pigeons: Loft, campaigner: Campaigner, pool: Pool
) -> None:
    form = (await campaigner.client.get("/admin/targets/new")).text
    assert 'name="lofts"' in form
    assert "One loft number per line" in form

    target = {"name": "Capt. Columba", "time_zone": "UTC", "preferred_locale": "en", "lofts": "x-1"}
    wrong = await campaigner.post("/admin/targets", target)
    assert wrong.status_code == 422
    assert "x-1 is not a loft number." in wrong.text
    saved = await campaigner.post("/admin/targets", {**target, "lofts": "l-1234, L-1234 L-0007"})
    assert saved.status_code == 303, saved.text
    target_id = int(saved.headers["location"].split("/")[-1].split("?")[0])
    lofts = await pool.fetch(
        "SELECT address FROM target_contacts WHERE target_id = $1 AND channel = 'pigeon' "
        "ORDER BY address",
        target_id,
    )
    assert [row["address"] for row in lofts] == ["L-0007", "L-1234"]

    page = (await campaigner.client.get("/admin/targets/import")).text
    assert "<code>loft</code>" in page, "the file's columns list the channel's own"


async def test_a_kind_nothing_reads_stops_the_worker_at_start(
    monkeypatch: pytest.MonkeyPatch, drain: Drain
) -> None:
    monkeypatch.delitem(KINDS, DeliveryKind.DIGEST)
    with pytest.raises(IncompleteRegistry, match="no MessageKind for 'digest'"):
        await drain()


async def test_a_channel_without_its_migration_stops_the_worker_at_start(
    monkeypatch: pytest.MonkeyPatch, drain: Drain
) -> None:
    owl = Channel("owl", "Owl", {}, Loft().carry)
    monkeypatch.setitem(CHANNELS, owl.name, owl)
    with pytest.raises(IncompleteRegistry, match="no migration added the 'owl' channel"):
        await drain()


async def test_a_migration_without_its_module_stops_the_worker_at_start(
    pool: Pool, drain: Drain
) -> None:
    await pool.execute("INSERT INTO channels (name) VALUES ('raven')")
    try:
        with pytest.raises(IncompleteRegistry, match="no module declares the 'raven' channel"):
            await drain()
    finally:
        await pool.execute("DELETE FROM channels WHERE name = 'raven'")
