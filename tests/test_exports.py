"""Exports through HTTP: who may download, what the files hold (and never hold), that they
open safely and correctly in a spreadsheet, that they stream, and that each download is on the
audit log with its filters before its first byte."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.types import ASGIApp, Message

from campaign_engine.db.pool import Pool
from campaign_engine.formats.spreadsheets import csv_chunks
from campaign_engine.models.signing import ConsentScope
from campaign_engine.models.workspace import Role
from tests.dashboard_data import Signer, add_signatures, set_delivery_statuses
from tests.factories import add_target, make_action
from tests.staff import SESSION_COOKIE, Campaigner, signed_in

BOM = "\ufeff".encode()
SIGNATURE_HEADER = [
    "signed_at", "confirmed_at", "status", "name", "email", "phone", "country", "language",
    "source", "partner", "comment", "consent_updates", "consent_partner", "consent_sms",
]  # fmt: skip
LONG_AGO = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)

SIGNERS = [
    Signer("Amina Diallo", "SN", "fr", source="newsletter", partner="demo-partner",
           phone="+221771234567", comment="Libérez-le.",
           consents=(ConsentScope.UPDATES, ConsentScope.PARTNER, ConsentScope.SMS)),
    Signer("محمد عبد الله", "EG", "ar", source="twitter"),
    Signer("王小明", "CN", "zh-Hans", signed_at=LONG_AGO),
    Signer('=HYPERLINK("http://x")', "FR", "fr", comment="@SUM(1)"),
    Signer("+1", "US", "en", comment="-2+3"),
    Signer("Pending Person", "MX", "es", status="pending", partner="demo-partner"),
    Signer("Fraud Bot", "RU", "ru", status="invalidated"),
]  # fmt: skip


@pytest.fixture(scope="module")
async def action(pool: Pool) -> str:
    slug = await make_action(pool)
    await add_target(pool, slug)
    await add_signatures(pool, slug, SIGNERS)
    await set_delivery_statuses(pool, slug, [("sent", None), ("failed", "SMTP 550 5.1.1")])
    return slug


async def download(member: Campaigner, path: str, **filters: str) -> httpx.Response:
    return await member.client.get(path, params=filters)


def rows_of(body: bytes) -> list[list[str]]:
    assert body.startswith(BOM), "Excel reads UTF-8 only after a byte order mark"
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


def by_name(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header = rows[0]
    return {row[3]: dict(zip(header, row, strict=True)) for row in rows[1:]}


async def test_the_signatures_file_holds_the_confirmed_signers_as_they_typed(
    campaigner: Campaigner, action: str
) -> None:
    answer = await download(campaigner, f"/admin/actions/{action}/export/signatures.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    today = datetime.now(UTC).date().isoformat()
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{action}-signatures-{today}.csv"'
    )
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    rows = rows_of(answer.content)
    assert rows[0] == SIGNATURE_HEADER
    signers = by_name(rows)
    assert set(signers) == {
        "Amina Diallo",
        "محمد عبد الله",
        "王小明",
        '\'=HYPERLINK("http://x")',
        "'+1",
    }, "confirmed only, by default; never an invalidated signature"
    amina = signers["Amina Diallo"]
    assert amina["email"] == SIGNERS[0].email
    assert amina["phone"] == "'+221771234567", "a leading + is a formula to a spreadsheet"
    assert amina["comment"] == "Libérez-le."
    assert (amina["country"], amina["language"], amina["source"], amina["partner"]) == (
        "SN",
        "fr",
        "newsletter",
        "demo-partner",
    )
    assert (amina["consent_updates"], amina["consent_partner"], amina["consent_sms"]) == (
        "yes",
        "yes",
        "yes",
    )
    assert amina["status"] == "confirmed"
    assert amina["confirmed_at"] >= amina["signed_at"]
    assert signers["王小明"]["signed_at"] == "2025-03-10 12:00:00"
    assert signers["محمد عبد الله"]["consent_updates"] == "no"


async def test_formulas_typed_by_signers_come_out_as_text(
    campaigner: Campaigner, action: str
) -> None:
    rows = rows_of(
        (await download(campaigner, f"/admin/actions/{action}/export/signatures.csv")).content
    )
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert "'+1" in cells
    assert "'@SUM(1)" in cells
    assert "'-2+3" in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)


async def test_filters_choose_the_signatures(campaigner: Campaigner, action: str) -> None:
    path = f"/admin/actions/{action}/export/signatures.csv"

    async def names(**filters: str) -> set[str]:
        answer = await download(campaigner, path, **filters)
        assert answer.status_code == 200, filters
        return set(by_name(rows_of(answer.content)))

    assert await names(status="pending") == {"Pending Person"}
    assert len(await names(status="all")) == 6
    assert await names(status="all", partner="demo-partner") == {"Amina Diallo", "Pending Person"}
    assert await names(country="eg") == {"محمد عبد الله"}
    assert await names(language="zh-Hans") == {"王小明"}
    assert await names(source="newsletter") == {"Amina Diallo"}
    assert await names(signed_to="2025-03-10") == {"王小明"}
    assert await names(signed_from="2025-03-11") == await names() - {"王小明"}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert await names(signed_from=tomorrow) == set()
    assert await names(status="all", country="", source="", partner="") == await names(
        status="all"
    ), "an empty field filters nothing"


@pytest.mark.parametrize(
    ("filters", "field", "message"),
    [
        ({"status": "everything"}, "status", "Choose which signatures to export."),
        ({"signed_from": "31/03/2026"}, "signed_from", "Enter a date like 2026-03-31."),
        ({"signed_to": "9999-12-31"}, "signed_to", "Enter a date like 2026-03-31."),
        (
            {"signed_from": "2026-03-02", "signed_to": "2026-03-01"},
            "signed_to",
            "The last day cannot come before the first day.",
        ),
        ({"country": "XX"}, "country", "Choose a country from the list."),
        ({"language": "klingon"}, "language", "Choose a language from the list."),
        ({"source": "s" * 201}, "source", "This can be at most 200 characters long."),
    ],
)
async def test_a_bad_filter_is_refused_with_a_message_at_its_field(
    campaigner: Campaigner, action: str, filters: dict[str, str], field: str, message: str
) -> None:
    answer = await download(campaigner, f"/admin/actions/{action}/export/signatures.csv", **filters)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text
    assert f'id="{field}-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text


async def test_the_file_is_streamed_in_chunks(campaigner: Campaigner, action: str) -> None:
    async with campaigner.client.stream(
        "GET", f"/admin/actions/{action}/export/signatures.csv", params={"status": "all"}
    ) as answer:
        assert answer.status_code == 200
        assert "content-length" not in answer.headers, "a stream has no length up front"
        chunks = [chunk async for chunk in answer.aiter_raw()]
    assert chunks[0].startswith(BOM)
    assert len(rows_of(b"".join(chunks))) == 7


async def test_a_download_cut_short_ends_its_transaction_before_the_answer_does(
    asgi_app: ASGIApp,
    campaigner: Campaigner,
    action: str,
    pool: Pool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The campaigner closes the tab once the first chunk is in: the file stops at the next
    chunk's edge, and its transaction ends in order, in the request's own task, before the
    answer returns; not later from the garbage collector, nor cut off mid-fetch."""
    gone = asyncio.Event()
    said: list[Message] = []

    async def receive() -> Message:
        if not said:
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        said.append(message)
        if message.get("body"):
            gone.set()
            await asyncio.sleep(0.05)  # the network's moment: the server hears it

    cookie = f"{SESSION_COOKIE}={campaigner.session_token}".encode()
    await asgi_app(
        {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": f"/admin/actions/{action}/export/signatures.csv",
            "raw_path": f"/admin/actions/{action}/export/signatures.csv".encode(),
            "root_path": "",
            "query_string": b"status=all",
            "headers": [(b"host", b"testserver"), (b"cookie", cookie)],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        },
        receive,
        send,
    )
    bodies = [m for m in said if m["type"] == "http.response.body"]
    assert bodies[0]["body"].startswith(BOM), "the header went out"
    assert all(m["more_body"] for m in bodies), "and the file was cut short, never finished"
    left_open = await pool.fetchval(
        """SELECT count(*) FROM pg_stat_activity
           WHERE state LIKE 'idle in transaction%' AND query LIKE '%AS consent_updates%'"""
    )
    assert left_open == 0, "no export's transaction is left open"
    assert "active transaction" not in caplog.text


async def test_the_csv_writer_never_holds_more_than_a_batch() -> None:
    """What the exports stream: the header first, then one chunk per batch of rows."""

    async def batches() -> AsyncGenerator[list[list[str]], None]:
        for n in range(3):
            yield [[f"row {n}", "=1+1"]]

    chunks = [chunk async for chunk in csv_chunks(["a", "b"], batches())]
    assert chunks == [BOM + b"a,b\r\n", b"row 0,'=1+1\r\n", b"row 1,'=1+1\r\n", b"row 2,'=1+1\r\n"]


async def test_each_export_is_on_the_audit_log_with_its_filters_and_no_personal_data(
    campaigner: Campaigner, action: str, pool: Pool
) -> None:
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", action)
    before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
    # A download abandoned before its first byte is still on record.
    async with campaigner.client.stream(
        "GET",
        f"/admin/actions/{action}/export/signatures.csv",
        params={"status": "all", "country": "SN", "signed_from": "2025-01-01"},
    ) as answer:
        assert answer.status_code == 200
    await download(campaigner, f"/admin/actions/{action}/export/deliveries.csv")
    entries = await pool.fetch(
        "SELECT staff_id, verb, object_type, object_id, detail FROM audit_log "
        "WHERE id > $1 AND object_id = $2 ORDER BY id",
        before,
        str(action_id),
    )
    assert [entry["verb"] for entry in entries] == ["export.signatures", "export.deliveries"]
    signatures = entries[0]
    assert signatures["staff_id"] == campaigner.staff.id
    assert signatures["object_type"] == "action"
    assert signatures["detail"] == {
        "status": ["confirmed", "pending"],
        "signed_from": "2025-01-01",
        "signed_to": None,
        "country": "SN",
        "language": None,
        "source": None,
        "partner": None,
    }
    recorded = json.dumps([dict(entry) for entry in entries], default=str)
    assert "Amina" not in recorded
    assert "@example.org" not in recorded


async def test_a_refused_export_records_nothing(
    campaigner: Campaigner, action: str, pool: Pool
) -> None:
    before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
    answer = await download(
        campaigner, f"/admin/actions/{action}/export/signatures.csv", country="XX"
    )
    assert answer.status_code == 400
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE id > $1", before) == 0


async def test_the_deliveries_file_lists_letters_and_nothing_about_supporters(
    campaigner: Campaigner, action: str
) -> None:
    answer = await download(campaigner, f"/admin/actions/{action}/export/deliveries.csv")
    assert answer.status_code == 200
    today = datetime.now(UTC).date().isoformat()
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="{action}-deliveries-{today}.csv"'
    )
    rows = rows_of(answer.content)
    assert rows[0] == [
        "created_at", "released_at", "sent_at", "delivered_at", "target_name",
        "target_organisation", "channel", "kind", "status", "attempts", "last_error",
    ]  # fmt: skip
    letters = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert len(letters) == 6, "one appeal per confirmed signature (made before invalidation)"
    assert sorted(letter["status"] for letter in letters) == [
        "failed", "scheduled", "scheduled", "scheduled", "scheduled", "sent",
    ]  # fmt: skip
    failed = next(letter for letter in letters if letter["status"] == "failed")
    assert failed["last_error"] == "SMTP 550 5.1.1"
    assert failed["target_organisation"] == "Ministry"
    assert failed["channel"] == "email"
    assert failed["kind"] == "appeal"
    assert failed["target_name"].startswith("Official ")
    text = answer.content.decode()
    for signer in SIGNERS:
        assert signer.email not in text
        assert signer.name not in text


async def test_the_export_page_offers_the_values_the_signatures_hold(
    campaigner: Campaigner, action: str
) -> None:
    page = await campaigner.client.get(f"/admin/actions/{action}/export")
    assert page.status_code == 200
    assert f'action="/admin/actions/{action}/export/signatures.csv"' in page.text
    assert f'action="/admin/actions/{action}/export/deliveries.csv"' in page.text
    assert "Download signatures (CSV)" in page.text
    assert "Download letters to officials (CSV)" in page.text
    assert '<option value="SN">Senegal</option>' in page.text
    assert '<option value="newsletter">newsletter</option>' in page.text
    assert '<option value="demo-partner">demo-partner</option>' in page.text
    assert '<option value="zh-Hans">Chinese (Simplified)</option>' in page.text


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TRANSLATOR])
async def test_who_may_not_export_gets_nothing(
    asgi_app: ASGIApp, pool: Pool, action: str, role: Role
) -> None:
    member = await signed_in(asgi_app, pool, role)
    before = await pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
    for path in ("export", "export/signatures.csv", "export/deliveries.csv"):
        answer = await member.client.get(f"/admin/actions/{action}/{path}")
        assert answer.status_code == 403, path
        assert SIGNERS[0].email not in answer.text
    assert (await member.client.get(f"/admin/actions/{action}")).status_code == 200
    await member.client.aclose()
    assert await pool.fetchval("SELECT count(*) FROM audit_log WHERE id > $1", before) == 0


async def test_an_unknown_action_has_no_exports(campaigner: Campaigner) -> None:
    for path in ("export", "export/signatures.csv", "export/deliveries.csv"):
        answer = await campaigner.client.get(f"/admin/actions/no-such-action/{path}")
        assert answer.status_code == 404, path
