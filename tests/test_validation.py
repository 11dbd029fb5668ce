"""Bad input gets a clear message in the reader's language, tied to its field, and a 4xx."""

from __future__ import annotations

import html
import json

import httpx
import pytest

from campaign_engine.db.personal import sealed as personal_sealed
from campaign_engine.db.pool import Pool
from campaign_engine.i18n import Catalogues
from campaign_engine.settings import SOURCE_HOME
from campaign_engine.web.forms import MAX_COMMENT, MAX_NAME, canonical_phone
from tests.conftest import TEST_SEALER
from tests.factories import make_action, unique_email

CATALOGUES = Catalogues(SOURCE_HOME / "locales")

# field -> (a bad value, the English of the message it must get)
BAD_VALUES: dict[str, tuple[str, str]] = {
    "name": ("   ", "Enter your name."),
    "email": ("li.wei@", "Enter a valid email address, like name@example.org."),
    "country": ("XX", "Choose a country from the list."),
    "phone": (
        "12",
        "Enter a valid phone number. Start with + and the country code if it is not a "
        "number from the country you chose.",
    ),
    "comment": ("bell\x07", "Your message contains characters we cannot accept."),
}
OTHER_BAD_VALUES: list[tuple[str, str, str, dict[str, int]]] = [
    (
        "name",
        "N" * (MAX_NAME + 1),
        "Your name can be at most %(max)d characters long.",
        {"max": MAX_NAME},
    ),
    ("name", "Li\x00Wei", "Your name contains characters we cannot accept.", {}),
    ("email", "", "Enter your email address.", {}),
    ("country", "", "Choose your country.", {}),
    (
        "comment",
        "x" * (MAX_COMMENT + 1),
        "Your message can be at most %(max)d characters long.",
        {"max": MAX_COMMENT},
    ),
]


def expected(locale: str, english: str, values: dict[str, int] | None = None) -> str:
    translated = CATALOGUES.translations(locale).gettext(english)
    assert translated != english, f"{english!r} is not translated into {locale}"
    return translated % values if values else translated


def valid_form(**fields: str) -> dict[str, str]:
    return {"name": "Ana", "email": unique_email(), "country": "FR", **fields}


@pytest.mark.parametrize("locale", ["fr", "ar"])
@pytest.mark.parametrize("field", list(BAD_VALUES))
async def test_each_bad_field_is_named_in_the_readers_language(
    client: httpx.AsyncClient, pool: Pool, locale: str, field: str
) -> None:
    slug = await make_action(pool)
    value, english = BAD_VALUES[field]
    response = await client.post(
        f"/{locale}/actions/{slug}/sign", data=valid_form(**{field: value})
    )
    assert response.status_code == 422
    assert response.headers["cache-control"] == "no-store"
    page = html.unescape(response.text)
    message = expected(locale, english)
    assert f'id="{field}-error"' in response.text
    assert message in page
    assert 'role="alert"' in response.text
    assert f'href="#{field}"' in response.text, "the summary links to the field"
    assert f"<title>{expected(locale, 'Error:')}" in page
    field_tag = response.text.split(f'id="{field}"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in field_tag
    assert f"{field}-error" in field_tag, "the message is tied to its field"
    if field in ("email", "phone"):
        assert f'value="{html.escape(value)}"' in response.text, "what was typed is kept"

    api = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        json={**valid_form(**{field: value}), "locale": locale},
    )
    assert api.status_code == 422
    assert api.json()["error"]["fields"] == {field: message}
    assert api.json()["error"]["message"] == expected(locale, "Some fields need your attention.")


@pytest.mark.parametrize(("field", "value", "english", "values"), OTHER_BAD_VALUES)
async def test_other_bad_values(
    client: httpx.AsyncClient,
    pool: Pool,
    field: str,
    value: str,
    english: str,
    values: dict[str, int],
) -> None:
    slug = await make_action(pool)
    for locale in ("es", "zh-Hans"):
        api = await client.post(
            f"/api/v1/actions/{slug}/signatures",
            json={**valid_form(**{field: value}), "locale": locale},
        )
        assert api.status_code == 422
        assert api.json()["error"]["fields"][field] == expected(locale, english, values)


async def test_the_language_of_errors_follows_accept_language_without_a_locale(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    api = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        json=valid_form(email="nope"),
        headers={"Accept-Language": "ru-RU,ru;q=0.9"},
    )
    assert api.json()["error"]["fields"]["email"] == expected(
        "ru", "Enter a valid email address, like name@example.org."
    )


async def test_every_problem_is_reported_at_once(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    api = await client.post(f"/api/v1/actions/{slug}/signatures", json={"phone": 5, "name": []})
    assert api.status_code == 422
    # A number where the document says text is refused too (the API's schema, web/api/openapi.py).
    assert set(api.json()["error"]["fields"]) == {"name", "email", "country", "phone"}


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("+33 6 12 34 56 78", "FR", "+33612345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("(202) 555-0143", "US", "+12025550143"),
        ("+86 139 1234 5678", "DE", "+8613912345678"),
        ("٠٥٠١٢٣٤٥٦٧", "AE", "+971501234567"),
    ],
)
def test_phones_are_kept_in_e164(typed: str, country: str, e164: str) -> None:
    assert canonical_phone(typed, country) == e164


async def test_a_valid_signature_keeps_what_was_typed(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    email = unique_email()
    response = await client.post(
        f"/es/actions/{slug}/sign",
        data={
            "name": "  José   Martí ",
            "email": email,
            "country": "mx",
            "phone": "55 1234 5678",
            "comment": "Por favor, liberen a Inés.\r\nGracias.",
            "consent_sms": "yes",
        },
    )
    assert response.status_code == 303
    row = await pool.fetchrow(
        """SELECT d.name_sealed, d.phone_sealed, d.comment_sealed, s.country FROM signer_details d
           JOIN signatures s ON s.id = d.signature_id JOIN actions a ON a.id = s.action_id
           WHERE a.slug = $1""",
        slug,
    )
    assert row is not None
    assert {
        "name": TEST_SEALER.open(row["name_sealed"], personal_sealed.NAME),
        "phone": TEST_SEALER.open(row["phone_sealed"], personal_sealed.PHONE),
        "comment": TEST_SEALER.open(row["comment_sealed"], personal_sealed.COMMENT),
        "country": row["country"],
    } == {
        "name": "José Martí",
        "phone": "+525512345678",
        "comment": "Por favor, liberen a Inés.\nGracias.",
        "country": "MX",
    }
    scopes = await pool.fetchval(
        """SELECT array_agg(r.scope) FROM consent_records r
           JOIN signatures s ON s.id = r.signature_id
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    assert scopes == ["sms"]


@pytest.mark.parametrize(
    ("field", "value", "english"),
    [
        ("name", "A\ud800", "Your name contains characters we cannot accept."),
        ("name", "Ana \u202eanA", "Your name contains characters we cannot accept."),
        ("comment", "\udfff", "Your message contains characters we cannot accept."),
        ("email", "a\ud800@example.org", "Enter a valid email address, like name@example.org."),
        (
            "email",
            "用户@example.org",
            "We cannot send email to an address with non-Latin letters before the @ yet. "
            "Please use another address.",
        ),
        ("phone", "+33 6\ud800", BAD_VALUES["phone"][1]),
    ],
)
async def test_characters_no_letter_can_carry_are_refused(
    client: httpx.AsyncClient, pool: Pool, field: str, value: str, english: str
) -> None:
    slug = await make_action(pool)
    # json.dumps escapes a lone surrogate as \\udXXX: valid JSON that decodes to it.
    body = json.dumps({**valid_form(**{field: value}), "locale": "ru"}).encode()
    api = await client.post(
        f"/api/v1/actions/{slug}/signatures",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert api.status_code == 422
    assert api.json()["error"]["fields"] == {field: expected("ru", english)}


async def test_names_in_any_script_are_welcome(client: httpx.AsyncClient, pool: Pool) -> None:
    slug = await make_action(pool)
    for name in ("李伟", "مريم الحسيني", "Zoë O’Brien-Łukasz", "سیاوش\u200cپور"):
        response = await client.post(f"/en/actions/{slug}/sign", data=valid_form(name=name))
        assert response.status_code == 303, name


async def test_an_international_domain_is_kept_in_its_ascii_spelling(
    client: httpx.AsyncClient, pool: Pool
) -> None:
    slug = await make_action(pool)
    local = unique_email().split("@")[0]
    response = await client.post(
        f"/en/actions/{slug}/sign", data=valid_form(email=f"{local}@bücher.de")
    )
    assert response.status_code == 303
    sealed = await pool.fetchval(
        """SELECT p.email_sealed FROM supporters p JOIN signatures s ON s.supporter_id = p.id
           JOIN actions a ON a.id = s.action_id WHERE a.slug = $1""",
        slug,
    )
    assert TEST_SEALER.open(sealed, personal_sealed.EMAIL) == f"{local}@xn--bcher-kva.de"
