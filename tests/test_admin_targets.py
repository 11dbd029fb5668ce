"""Targets in the workspace, through HTTP: creating and editing one with its addresses, putting
a failing address back in use, choosing who an action writes to and how, pausing its letters;
who may do which, and the audit log of it all."""

from __future__ import annotations

import re
import uuid

from campaign_engine.db.pool import Pool
from tests.factories import add_target, make_action, make_confirmed_signatures
from tests.staff import Campaigner


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def target_form(**overrides: str) -> dict[str, str]:
    return {
        "external_id": unique("mx-fgr"),
        "name": "Dra. Marta Ibáñez Robles",
        "title": "Fiscal General de la República",
        "organisation": unique("Fiscalía General"),
        "country": "MX",
        "time_zone": "america/mexico_city",
        "preferred_locale": "es",
        "salutation_es": "Estimada Sra. Fiscal General:",
        "salutation_en": "Dear Attorney General,",
        "max_per_hour": "20",
        "max_per_day": "",
        "notes": "Replies in Spanish within a week.",
        "postal_address": (
            "Fiscalía General de la República\r\n  Av. Paseo de la Reforma 211  \r\n\r\n"
            "Ciudad de México 06500\r\nMÉXICO"
        ),
        "emails": f"{unique('fiscal')}@example.org",
        "phones": "55 1234 5678",
        **overrides,
    }


async def create_target(member: Campaigner, **overrides: str) -> int:
    answer = await member.post("/admin/targets", target_form(**overrides))
    assert answer.status_code == 303, answer.text
    found = re.match(r"^/admin/targets/(\d+)\?saved=1$", answer.headers["location"])
    assert found is not None
    return int(found.group(1))


async def audit_entries(
    pool: Pool, object_type: str, object_id: int
) -> list[tuple[str, dict[str, object]]]:
    rows = await pool.fetch(
        "SELECT verb, detail FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id",
        object_type,
        str(object_id),
    )
    return [(row["verb"], row["detail"]) for row in rows]


async def test_a_campaigner_creates_a_target_once_every_field_is_right(
    campaigner: Campaigner, pool: Pool
) -> None:
    form = (await campaigner.client.get("/admin/targets/new")).text
    assert 'name="time_zone"' in form
    assert '<option value="Europe/Paris">' in form, "a list of time zones to choose from"

    wrong = await campaigner.post(
        "/admin/targets",
        target_form(
            name=" ",
            time_zone="Mars/Olympus_Mons",
            emails="fiscal@example.org\nnot-an-address",
            phones="+1 12",
            max_per_hour="0",
            office_start="09:00",
            preferred_locale="xx",
            postal_address="\n".join(f"line {n}" for n in range(9)),
        ),
    )
    assert wrong.status_code == 422
    assert "A postal address can have at most 8 lines." in wrong.text
    assert "Enter the target&#39;s name." in wrong.text
    assert "Use a time zone name from the list" in wrong.text
    assert "not-an-address is not a valid email address." in wrong.text
    assert "+1 12 is not a valid phone number." in wrong.text
    assert "Enter a whole number from 1 to 100000" in wrong.text
    assert "Choose the days the office is open." in wrong.text
    assert "Choose one of our languages" in wrong.text
    assert 'id="time_zone" name="time_zone"' in wrong.text
    assert 'aria-describedby="time_zone-hint time_zone-error" aria-invalid="true"' in wrong.text
    assert await pool.fetchval("SELECT count(*) FROM targets WHERE name = ' '") == 0

    form_data = target_form(office_start="09:00", office_end="17:30")
    answer = await campaigner.client.post(
        "/admin/targets",
        data={"csrf_token": campaigner.csrf(), **form_data, "office_days": ["1", "2", "5"]},
    )
    assert answer.status_code == 303
    target_id = int(answer.headers["location"].split("/")[-1].split("?")[0])
    row = await pool.fetchrow("SELECT * FROM targets WHERE id = $1", target_id)
    assert row is not None
    assert row["time_zone"] == "America/Mexico_City"
    assert row["office_hours"] == {"weekdays": [1, 2, 5], "start": "09:00", "end": "17:30"}
    assert row["salutations"] == {
        "en": "Dear Attorney General,",
        "es": "Estimada Sra. Fiscal General:",
    }
    assert (row["country"], row["max_per_hour"], row["max_per_day"]) == ("MX", 20, None)
    assert row["postal_address"] == (
        "Fiscalía General de la República\nAv. Paseo de la Reforma 211\n"
        "Ciudad de México 06500\nMÉXICO"
    ), "each line trimmed, blank ones dropped"
    contacts = await pool.fetch(
        """SELECT channel, address, status FROM target_contacts
           WHERE target_id = $1 ORDER BY channel""",
        target_id,
    )
    assert [tuple(c) for c in contacts] == [
        ("email", form_data["emails"], "ok"),
        ("sms", "+525512345678", "ok"),  # read as a Mexican number, stored in E.164
    ]
    assert [verb for verb, _ in await audit_entries(pool, "target", target_id)] == [
        "target.created"
    ]

    page = await campaigner.client.get(f"/admin/targets/{target_id}?saved=1")
    assert "Saved." in page.text
    assert "+525512345678" in page.text
    listing = await campaigner.client.get("/admin/targets", params={"q": form_data["organisation"]})
    assert "Dra. Marta Ibáñez Robles" in listing.text
    assert "Mexico" in listing.text
    assert "Español" in listing.text
    nothing = await campaigner.client.get("/admin/targets", params={"q": "100%_no-such"})
    assert "No target matches" in nothing.text

    taken = await campaigner.post(
        "/admin/targets", target_form(external_id=form_data["external_id"])
    )
    assert taken.status_code == 422
    assert "Another target has this external id." in taken.text


async def test_editing_a_target_saves_its_fields_and_addresses(
    campaigner: Campaigner, pool: Pool
) -> None:
    email = f"{unique('old')}@example.org"
    target_id = await create_target(campaigner, emails=email, phones="")
    other_id = unique("other")
    await create_target(campaigner, external_id=other_id)

    edit = await campaigner.client.get(f"/admin/targets/{target_id}")
    assert "Save target" in edit.text
    assert email in edit.text

    new_email = f"{unique('new')}@example.org"
    form = target_form(
        title="Fiscal General (interina)",
        emails=new_email,
        phones="+33 6 39 98 00 01",
        time_zone="Europe/Madrid",
    )
    answer = await campaigner.post(f"/admin/targets/{target_id}", form)
    assert answer.status_code == 303
    row = await pool.fetchrow("SELECT title, time_zone FROM targets WHERE id = $1", target_id)
    assert row is not None
    assert tuple(row) == ("Fiscal General (interina)", "Europe/Madrid")
    addresses = await pool.fetch(
        "SELECT address FROM target_contacts WHERE target_id = $1 ORDER BY id", target_id
    )
    assert [a["address"] for a in addresses] == [new_email, "+33639980001"]
    (verb, detail), *_ = reversed(await audit_entries(pool, "target", target_id))
    assert verb == "target.updated"
    changed = detail["fields"]
    assert isinstance(changed, list)
    assert {"title", "time_zone", "external_id"} <= set(changed)
    assert (detail["contacts_added"], detail["contacts_removed"]) == (2, 1)
    assert email not in str(detail), "addresses stay out of the log"

    bad = await campaigner.post(
        f"/admin/targets/{target_id}", {**form, "external_id": other_id, "phones": "12"}
    )
    assert bad.status_code == 422
    assert "is not a valid phone number" in bad.text
    taken = await campaigner.post(f"/admin/targets/{target_id}", {**form, "external_id": other_id})
    assert taken.status_code == 422
    assert "Another target has this external id." in taken.text
    missing = await campaigner.post("/admin/targets/999999999", form)
    assert missing.status_code == 404


async def test_an_address_letters_were_sent_to_stays_on_record(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    target_id, address = await add_target(pool, slug)
    await make_confirmed_signatures(pool, slug, 1)
    form = target_form(
        name="Official", preferred_locale="es", emails=f"{unique('new')}@example.org", phones=""
    )
    answer = await campaigner.post(f"/admin/targets/{target_id}", form)
    assert answer.status_code == 422
    assert f"Letters were sent to {address}, so it stays on record" in answer.text
    assert (
        await pool.fetchval("SELECT count(*) FROM target_contacts WHERE target_id = $1", target_id)
        == 1
    ), "nothing of the change was saved"


async def test_a_campaigner_marks_a_bouncing_address_as_working_again(
    campaigner: Campaigner, viewer: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    target_id, address = await add_target(pool, slug, status="bouncing")
    contact_id = await pool.fetchval(
        "SELECT id FROM target_contacts WHERE target_id = $1", target_id
    )
    external_id = await pool.fetchval("SELECT external_id FROM targets WHERE id = $1", target_id)
    listing = await campaigner.client.get("/admin/targets", params={"q": external_id})
    assert "1 not working" in listing.text

    page = await campaigner.client.get(f"/admin/targets/{target_id}")
    assert "Bouncing" in page.text
    assert f"Mark {address} as working" in page.text
    reset = f"/admin/targets/{target_id}/contacts/{contact_id}/reset"
    assert (await viewer.post(reset)).status_code == 403
    answer = await campaigner.post(reset)
    assert answer.status_code == 303
    assert (
        await pool.fetchval("SELECT status FROM target_contacts WHERE id = $1", contact_id) == "ok"
    )
    assert (
        "Mark as working" not in (await campaigner.client.get(f"/admin/targets/{target_id}")).text
    )
    verbs = [(verb, detail) for verb, detail in await audit_entries(pool, "target", target_id)]
    assert verbs == [("target.contact_reset", {"contact_id": contact_id, "previous": "bouncing"})]

    elsewhere = await campaigner.post(f"/admin/targets/{target_id}/contacts/999999999/reset")
    assert elsewhere.status_code == 404


async def test_those_who_may_only_read_see_targets_but_change_nothing(
    campaigner: Campaigner, viewer: Campaigner, translator: Campaigner, pool: Pool
) -> None:
    target_id = await create_target(campaigner)
    slug = await make_action(pool)
    for reader in (viewer, translator):
        page = await reader.client.get(f"/admin/targets/{target_id}")
        assert page.status_code == 200
        assert "Dra. Marta Ibáñez Robles" in page.text
        assert "Save target" not in page.text
        assert '<form method="post" action="/admin/targets/' not in page.text
        assert "New target" not in (await reader.client.get("/admin/targets")).text
        action_page = await reader.client.get(f"/admin/actions/{slug}/targets")
        assert action_page.status_code == 200
        assert "Pause letters" not in action_page.text
        for path, data in (
            ("/admin/targets", target_form()),
            (f"/admin/targets/{target_id}", target_form()),
            ("/admin/targets/import", {}),
            (f"/admin/actions/{slug}/targets", {"target_id": str(target_id), "channel": "email"}),
            (
                f"/admin/actions/{slug}/targets/remove",
                {"target_id": str(target_id), "channel": "email"},
            ),
            (f"/admin/actions/{slug}/channels", {"email_mode": "none"}),
            (f"/admin/actions/{slug}/letters/pause", {}),
        ):
            assert (await reader.post(path, data)).status_code == 403, path
        assert (await reader.client.get("/admin/targets/new")).status_code == 403
    assert (
        await pool.fetchval(
            """SELECT count(*) FROM action_targets a JOIN actions x ON x.id = a.action_id
               WHERE x.slug = $1""",
            slug,
        )
        == 0
    )


async def test_an_action_writes_to_the_targets_chosen_for_each_channel(
    campaigner: Campaigner, pool: Pool
) -> None:
    slug = await make_action(pool)
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    await make_confirmed_signatures(pool, slug, 2)
    email_only = await create_target(campaigner, name="Ministra Email", phones="")
    page = f"/admin/actions/{slug}/targets"

    no_phone = await campaigner.post(page, {"target_id": str(email_only), "channel": "sms"})
    assert no_phone.status_code == 422
    assert "This target has no phone number: add one on its page first." in no_phone.text
    unknown = await campaigner.post(page, {"target_id": "999999999", "channel": "email"})
    assert unknown.status_code == 422
    assert "Choose a target from the list." in unknown.text
    nonsense = await campaigner.post(page, {"target_id": "x", "channel": "fax"})
    assert nonsense.status_code == 422
    assert "Choose email or SMS." in nonsense.text

    added = await campaigner.post(page, {"target_id": str(email_only), "channel": "email"})
    assert added.status_code == 303
    assert added.headers["location"] == page
    shown = await campaigner.client.get(page)
    assert f'<a href="/admin/targets/{email_only}"><bdi>Ministra Email</bdi></a>' in shown.text
    assert "Working" in shown.text
    assert f'href="/admin/actions/{slug}"' in shown.text, "a way back to the action"
    owed = await pool.fetchval(
        """SELECT count(*) FROM deliveries
           WHERE action_id = $1 AND target_id = $2 AND kind = 'appeal'""",
        action_id,
        email_only,
    )
    assert owed == 2, "those who signed before are owed a letter to the new target"

    removed = await campaigner.post(
        f"{page}/remove", {"target_id": str(email_only), "channel": "email"}
    )
    assert removed.status_code == 303
    assert f'href="/admin/targets/{email_only}"' not in (await campaigner.client.get(page)).text
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM deliveries WHERE action_id = $1 AND target_id = $2",
            action_id,
            email_only,
        )
        == 0
    ), "letters not yet sent are withdrawn"
    assert [
        (verb, detail.get("target_id"), detail.get("channel"))
        for verb, detail in await audit_entries(pool, "action", action_id)
    ] == [
        ("action.target_added", email_only, "email"),
        ("action.target_removed", email_only, "email"),
    ]
    missing = await campaigner.post(
        "/admin/actions/no-such-thing/targets", {"target_id": str(email_only), "channel": "email"}
    )
    assert missing.status_code == 404


async def test_channel_settings_say_how_letters_go_out(campaigner: Campaigner, pool: Pool) -> None:
    slug = await make_action(pool)
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    path = f"/admin/actions/{slug}/channels"
    page = await campaigner.client.get(f"/admin/actions/{slug}/targets")
    assert 'value="per_signature" checked' in page.text, "the default: a letter per signature"

    wrong = await campaigner.post(
        path,
        {
            "email_mode": "carrier-pigeon",
            "email_digest_every": "0",
            "email_digest_format": "pdf",
            "email_min_per_hour": "lots",
            "sms_mode": "none",
            "sms_digest_every": "24",
            "sms_digest_format": "list",
            "sms_min_per_hour": "60",
        },
    )
    assert wrong.status_code == 422
    assert "Choose how letters go out on this channel." in wrong.text
    assert "Enter a number of hours from 1 to 672." in wrong.text
    assert "Choose how a digest lists the signatures." in wrong.text
    assert "Enter a number of letters per hour from 1 to 100000." in wrong.text
    assert (
        await pool.fetchval("SELECT count(*) FROM action_channels WHERE action_id = $1", action_id)
        == 0
    )

    settings = {
        "email_mode": "digest",
        "email_digest_every": "6",
        "email_digest_format": "csv",
        "email_min_per_hour": "30",
        "sms_mode": "none",
        "sms_digest_every": "24",
        "sms_digest_format": "list",
        "sms_min_per_hour": "60",
    }
    assert (await campaigner.post(path, settings)).status_code == 303
    rows = await pool.fetch(
        """SELECT channel, mode, extract(epoch FROM digest_every)::int / 3600 AS hours,
                  digest_format, min_per_hour
           FROM action_channels WHERE action_id = $1 ORDER BY channel""",
        action_id,
    )
    assert [tuple(row) for row in rows] == [
        ("email", "digest", 6, "csv", 30),
        ("sms", "none", 24, "list", 60),
    ]
    again = await campaigner.client.get(f"/admin/actions/{slug}/targets")
    assert (
        'id="email_mode_digest" name="email_mode" type="radio" value="digest" checked' in again.text
    )
    assert (await campaigner.post(path, settings)).status_code == 303  # nothing changed
    entries = await audit_entries(pool, "action", action_id)
    assert entries == [
        (
            "action.channels_changed",
            {
                "email": {
                    "mode": "digest",
                    "digest_every_hours": 6,
                    "digest_format": "csv",
                    "min_per_hour": 30,
                },
                "sms": {
                    "mode": "none",
                    "digest_every_hours": 24,
                    "digest_format": "list",
                    "min_per_hour": 60,
                },
            },
        )
    ]


async def test_letters_are_paused_and_resumed(campaigner: Campaigner, pool: Pool) -> None:
    slug = await make_action(pool)
    action_id = await pool.fetchval("SELECT id FROM actions WHERE slug = $1", slug)
    page = f"/admin/actions/{slug}/targets"
    assert "Letters going out" in (await campaigner.client.get(page)).text

    assert (await campaigner.post(f"/admin/actions/{slug}/letters/pause")).status_code == 303
    assert await pool.fetchval("SELECT delivery_paused FROM actions WHERE id = $1", action_id)
    shown = await campaigner.client.get(page)
    assert "Letters paused" in shown.text
    assert "Resume letters" in shown.text
    assert (await campaigner.post(f"/admin/actions/{slug}/letters/pause")).status_code == 303

    assert (await campaigner.post(f"/admin/actions/{slug}/letters/resume")).status_code == 303
    assert not await pool.fetchval("SELECT delivery_paused FROM actions WHERE id = $1", action_id)
    assert [verb for verb, _ in await audit_entries(pool, "action", action_id)] == [
        "action.letters_paused",
        "action.letters_resumed",
    ], "pausing what is paused records nothing"
    missing = await campaigner.post("/admin/actions/no-such-thing/letters/pause")
    assert missing.status_code == 404
