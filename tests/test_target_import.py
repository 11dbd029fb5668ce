"""Importing targets from a CSV file: the preview says exactly what applying will do (and writes
nothing), applying does it once, and no file, however broken, gets anything but a clear
answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.types import ASGIApp

from campaign_engine.db.pool import Pool
from campaign_engine.domain.targets.target_file import MAX_BYTES, FileRefused, read_targets_csv
from campaign_engine.models.workspace import Role
from tests.staff import Campaigner, signed_in

HEADER = (
    "External_ID;Name;Title;Organisation;Country;Time Zone;Preferred_Locale;Email;Phone;"
    "Salutation_ES;Office_Days;Office_Start;Office_End;Fax"
)


@pytest.fixture(scope="module")
async def colleague(asgi_app: ASGIApp, pool: Pool) -> AsyncIterator[Campaigner]:
    member = await signed_in(asgi_app, pool, Role.CAMPAIGNER)
    yield member
    await member.client.aclose()


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


async def upload(member: Campaigner, content: bytes, name: str = "targets.csv") -> httpx.Response:
    return await member.client.post(
        "/admin/targets/import",
        data={"csrf_token": member.csrf()},
        files={"file": (name, content, "text/csv")},
    )


def import_id_of(preview: httpx.Response) -> int:
    found = re.search(r'action="/admin/targets/import/(\d+)"', preview.text)
    assert found is not None, "the preview offers to apply"
    return int(found.group(1))


async def existing_target(member: Campaigner, external_id: str, email: str) -> int:
    answer = await member.post(
        "/admin/targets",
        {
            "external_id": external_id,
            "name": "Dra. Marta Ibáñez",
            "title": "Fiscal General",
            "time_zone": "UTC",
            "preferred_locale": "es",
            "emails": email,
        },
    )
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].split("/")[-1].split("?")[0])


async def test_the_preview_shows_what_applying_does_and_applying_does_it_once(
    campaigner: Campaigner, pool: Pool
) -> None:
    new_id, changed_id, same_id = unique("new"), unique("changed"), unique("same")
    bad_email_id, bad_zone_id, twice_id = unique("bad-email"), unique("bad-zone"), unique("twice")
    old_email, new_email = f"{unique('old')}@example.org", f"{unique('new')}@example.org"
    changed = await existing_target(campaigner, changed_id, old_email)
    same = await existing_target(campaigner, same_id, f"{unique('same')}@example.org")
    lines = [
        HEADER,
        f"{new_id};Lic. Andrés Peña;Ministro;Ministerio del Interior;mx;America/Mexico_City;es;"
        f"{new_id}@example.org;55 1234 5678;Estimado Sr. Ministro:;1-5;09:00;17:00;555-0100",
        f"{changed_id};;Fiscal General (interina);;;;;{new_email};;;;;;",
        f"{same_id};Dra. Marta Ibáñez;Fiscal General;;;;;;;;;;;",
        f"{bad_email_id};Bad Email;;;;;es;not-an-email;;;;;;",
        f"{bad_zone_id};Bad Zone;;;;Mars/Olympus_Mons;es;;;;;;;",
        f"{twice_id};Twice One;;;;;es;;;;;;;",
        f"{twice_id};Twice Two;;;;;es;;;;;;;",
        "; No Language ;;;;;;;;;;;;",
        "",
    ]
    content = "\ufeff" + "\r\n".join(lines)
    count_before = await pool.fetchval("SELECT count(*) FROM targets")

    preview = await upload(campaigner, content.encode())
    assert preview.status_code == 200
    text = preview.text
    assert "1 target to create" in text
    assert "1 target to update" in text
    assert "1 target unchanged" in text
    assert "5 problems, in rows that will be skipped" in text
    assert "These columns are not ones we know, so they were ignored: Fax." in text
    problems = re.findall(
        r'<td class="number">(\d+)</td>\s*<td><code>([a-z_]+)</code></td>\s*<td><bdi>([^<]+)</bdi>',
        text,
    )
    assert [(int(line), column) for line, column, _ in problems] == [
        (5, "email"),
        (6, "time_zone"),
        (7, "external_id"),
        (8, "external_id"),
        (9, "preferred_locale"),
    ]
    assert "not-an-email is not a valid email address." in problems[0][2]
    assert "is on several lines: 7, 8" in problems[2][2]
    assert "Fiscal General</bdi></del> → <ins><bdi>Fiscal General (interina)" in text
    assert f'New address: <ins><bdi dir="ltr">{new_email}</bdi>' in text
    assert "Lic. Andrés Peña" in text
    assert await pool.fetchval("SELECT count(*) FROM targets") == count_before, "nothing yet"

    import_id = import_id_of(preview)
    applied = await campaigner.post(f"/admin/targets/import/{import_id}")
    assert applied.status_code == 303
    assert applied.headers["location"] == (
        "/admin/targets?created=1&updated=1&unchanged=1&contacts_added=3&skipped=0"
    )
    listing = await campaigner.client.get(applied.headers["location"])
    assert "Import applied." in listing.text
    assert "1 target created" in listing.text

    assert await pool.fetchval("SELECT count(*) FROM targets") == count_before + 1
    created = await pool.fetchrow("SELECT * FROM targets WHERE external_id = $1", new_id)
    assert created is not None
    assert (created["name"], created["country"], created["time_zone"]) == (
        "Lic. Andrés Peña",
        "MX",
        "America/Mexico_City",
    )
    assert created["office_hours"] == {
        "weekdays": [1, 2, 3, 4, 5],
        "start": "09:00",
        "end": "17:00",
    }
    assert created["salutations"] == {"es": "Estimado Sr. Ministro:"}
    contacts = await pool.fetch(
        "SELECT channel, address FROM target_contacts WHERE target_id = $1 ORDER BY channel",
        created["id"],
    )
    assert [tuple(c) for c in contacts] == [
        ("email", f"{new_id}@example.org"),
        ("sms", "+525512345678"),
    ]
    updated = await pool.fetchrow("SELECT name, title FROM targets WHERE id = $1", changed)
    assert updated is not None
    assert tuple(updated) == ("Dra. Marta Ibáñez", "Fiscal General (interina)"), "empty cells keep"
    addresses = await pool.fetch(
        "SELECT address FROM target_contacts WHERE target_id = $1 ORDER BY id", changed
    )
    assert [a["address"] for a in addresses] == [old_email, new_email], "added, never removed"
    untouched = await pool.fetchval(
        "SELECT updated_at = created_at FROM targets WHERE id = $1", same
    )
    assert untouched
    for skipped in (bad_email_id, bad_zone_id, twice_id):
        assert (
            await pool.fetchval("SELECT count(*) FROM targets WHERE external_id = $1", skipped) == 0
        )
    assert await pool.fetchval("SELECT count(*) FROM targets WHERE name = 'No Language'") == 0

    entry = await pool.fetchrow(
        "SELECT staff_id, detail FROM audit_log WHERE verb = 'targets.imported' AND object_id = $1",
        str(import_id),
    )
    assert entry is not None
    assert entry["staff_id"] == campaigner.staff.id
    assert entry["detail"] == {
        "created": 1,
        "updated": 1,
        "unchanged": 1,
        "contacts_added": 3,
        "skipped": 0,
    }

    again = await campaigner.post(f"/admin/targets/import/{import_id}")
    assert again.status_code == 409
    assert "This import was applied already" in again.text
    assert await pool.fetchval("SELECT count(*) FROM targets") == count_before + 1

    reimported = await upload(campaigner, content.encode())
    counts = re.search(r'<ul class="targets-counts">(.*?)</ul>', reimported.text, re.S)
    assert counts is not None
    assert "3 targets unchanged" in counts.group(1), counts.group(1)
    assert "There is nothing to apply." in reimported.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Nom;Prénom;Pays\nDupont;Hélène;FR\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        ("Dupont;Hélène\nMartin;Luc\n".encode(), "The first line must name the columns"),
        (b"name,name\nA,B\n", "The column name appears twice."),
        (b"name;email\n\x00\xff\xfe", "The file is not UTF-8 text."),
        (b"external_id,name\n" + b"x,y\n" * 5_001, "The file has more than 5000 rows."),
    ],
    ids=["latin-1", "empty", "only-a-bom", "no-header", "column-twice", "binary", "too-many-rows"],
)
async def test_a_file_that_cannot_be_read_gets_a_clear_answer(
    campaigner: Campaigner, content: bytes, message: str
) -> None:
    answer = await upload(campaigner, content)
    assert answer.status_code in (413, 422)
    if answer.status_code == 422:
        assert message in answer.text
        assert 'aria-invalid="true"' in answer.text


async def test_no_file_or_too_large_a_file_is_refused_clearly(campaigner: Campaigner) -> None:
    nothing = await campaigner.post("/admin/targets/import", {"file": "not a file"})
    assert nothing.status_code == 422
    assert "Choose a CSV file to import." in nothing.text
    huge = await upload(campaigner, b"name\n" + b"x" * (MAX_BYTES + 10))
    assert huge.status_code in (413, 422), "the body limit or our own, never a 500"


async def test_only_a_fresh_preview_applies_and_only_for_whoever_uploaded_it(
    campaigner: Campaigner, colleague: Campaigner, pool: Pool
) -> None:
    external_id = unique("fresh")
    preview = await upload(
        campaigner, f"external_id,name,preferred_locale\n{external_id},Ana,es\n".encode()
    )
    import_id = import_id_of(preview)
    assert (await colleague.post(f"/admin/targets/import/{import_id}")).status_code == 403
    await pool.execute(
        "UPDATE target_imports SET created_at = created_at - interval '61 minutes' WHERE id = $1",
        import_id,
    )
    stale = await campaigner.post(f"/admin/targets/import/{import_id}")
    assert stale.status_code == 409
    assert "This preview has expired" in stale.text
    assert (
        await pool.fetchval("SELECT count(*) FROM targets WHERE external_id = $1", external_id) == 0
    )
    assert (await campaigner.post("/admin/targets/import/999999999")).status_code == 404


def test_reading_commas_quotes_and_cells_our_exports_protected() -> None:
    read = read_targets_csv(
        (
            "EXTERNAL ID,Name,Notes,Phone,Salutation_zh-Hans,preferred locale,postal_address\n"
            'a-1,"Ibáñez, Marta","two\nlines",\'+52 55 1234 5678,尊敬的,ZH-hans,'
            "Calle 1 | 06500 MÉXICO\n"
            "a-2,Luc,,,,fr,\n"
        ).encode()
    )
    assert read.errors == []
    first, second = read.rows
    assert (first.line, second.line) == (2, 4), "a line number is where the row starts"
    assert first.values["name"] == "Ibáñez, Marta"
    assert first.values["notes"] == "two\nlines"
    assert first.values["preferred_locale"] == "zh-Hans"
    assert first.values["postal_address"] == "Calle 1\n06500 MÉXICO", "a cell's lines by ' | '"
    assert first.salutations == {"zh-Hans": "尊敬的"}
    assert first.addresses["sms"] == ("+525512345678",)


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(FileRefused, match="larger than 2 MB"):
        read_targets_csv(b"name\n" + b"x" * MAX_BYTES)
    with pytest.raises(FileRefused, match="Line 2 cannot be read as CSV"):
        read_targets_csv(b"name\n" + b"x" * 200_000)


async def test_odd_but_readable_files_are_previewed_row_by_row(campaigner: Campaigner) -> None:
    """Control characters, a quote left open, cells beyond the header, an unknown language:
    each row gets its own message, the page its preview."""
    answer = await upload(
        campaigner,
        b'name,preferred_locale\nNul\x00Name,es\nExtra,es,surplus\nKlingon,tlh\n"Open quote,es\n',
    )
    assert answer.status_code == 200
    assert "This contains characters we cannot accept." in answer.text
    assert "This line has more cells than the first line has names." in answer.text
    assert "Choose one of our languages" in answer.text
    assert "There is nothing to apply." in answer.text
