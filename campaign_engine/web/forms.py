"""The signing form, as the HTML form and the JSON API both submit it.

Each field gets one clear message in the reader's language; a value that passes is handed to
the domain already normalised (email as email-validator spells it, phone in E.164).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from campaign_engine.domain.signing.one_click import ActFields
from campaign_engine.domain.targets.target_fields import clean_postal_address
from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.formats.fields import InvalidValue
from campaign_engine.i18n import _
from campaign_engine.models.signing import SignatureRequest

FIELDS = ("name", "email", "country", "phone", "comment")
MAX_NAME = 100
MAX_EMAIL = 254  # RFC 5321's limit on a path
MAX_COMMENT = 1000
# Attribution codes as Action Network allows them. A bad one is dropped, never an error:
# attribution must never cost a signature.
_ATTRIBUTION = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CHECKED = frozenset({"1", "on", "true", "yes"})
# The embedding page's campaign tags, as analytics tools name them. Kept as written (they are
# the partner's own labels), short, one line; a bad one is dropped like any attribution.
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_UTM = 200


@dataclass
class FieldErrors:
    """Field name -> message, in the active language."""

    errors: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.errors)


def parse_signature(
    data: Mapping[str, object], locale: str, client_address: str | None
) -> SignatureRequest | FieldErrors:
    """Validate what a supporter submitted; all errors at once, so they fix everything in one go."""
    problems = FieldErrors()
    name = _clean_name(_text(data, "name"), problems)
    email = _clean_email(_text(data, "email"), problems)
    country = _clean_country(_text(data, "country"), problems)
    phone = _clean_phone(_text(data, "phone"), country, problems)
    comment = _clean_comment(_text(data, "comment"), problems)
    if problems:
        return problems
    return SignatureRequest(
        name=name,
        email=email,
        country=country,
        phone=phone,
        comment=comment,
        consent_updates=_checked(data.get("consent_updates")),
        consent_partner=_checked(data.get("consent_partner")),
        consent_sms=_checked(data.get("consent_sms")),
        consent_network=_checked(data.get("consent_network")),
        anonymous=_checked(data.get("anonymous")),
        partner=attribution(data.get("partner")),
        source=attribution(data.get("source")),
        locale=locale,
        client_address=client_address,
        utm=campaign_tags(data),
        honeypot=bool(_text(data, "website")),
    )


def parse_act(data: Mapping[str, object]) -> ActFields | FieldErrors:
    """The one-click act's fields (the address is proven already), checked as the signing
    form checks them."""
    problems = FieldErrors()
    name = _clean_name(_text(data, "name"), problems)
    country = _clean_country(_text(data, "country"), problems)
    comment = _clean_comment(_text(data, "comment"), problems)
    if problems:
        return problems
    return ActFields(name, country, comment, _checked(data.get("anonymous")))


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


# Characters that are never part of a name or a message: controls, lone surrogates (which no
# database or mail server accepts), and the bidi overrides that make text display as
# something other than what it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_unacceptable_characters(text: str, allowed: str = "") -> bool:
    return any(
        (unicodedata.category(c) in ("Cc", "Cs") and c not in allowed) or c in _BIDI_CONTROLS
        for c in text
    )


def _clean_name(name: str, problems: FieldErrors) -> str:
    name = " ".join(name.split())
    if not name:
        problems.errors["name"] = _("Enter your name.")
    elif len(name) > MAX_NAME:
        problems.errors["name"] = _("Your name can be at most %(max)d characters long.") % {
            "max": MAX_NAME
        }
    elif has_unacceptable_characters(name):
        problems.errors["name"] = _("Your name contains characters we cannot accept.")
    return name


def parse_letter_sender(data: Mapping[str, object]) -> tuple[str, str, str] | FieldErrors:
    """(name, country, address) for a supporter's own letters, checked as the signing form
    checks a name and a country; the address is optional and checked as an official's."""
    problems = FieldErrors()
    name = _clean_name(_text(data, "name"), problems)
    country = _clean_country(_text(data, "country"), problems)
    address = ""
    try:
        address = clean_postal_address(_text(data, "address"))
    except InvalidValue as problem:
        problems.errors["address"] = str(problem)
    return problems if problems else (name, country, address)


def parse_email(data: Mapping[str, object]) -> str | FieldErrors:
    """Just an email address (the privacy form): checked as the signing form checks it."""
    problems = FieldErrors()
    email = _clean_email(_text(data, "email"), problems)
    return problems if problems else email


def _clean_email(email: str, problems: FieldErrors) -> str:
    if not email:
        problems.errors["email"] = _("Enter your email address.")
        return email
    if len(email) > MAX_EMAIL:
        problems.errors["email"] = _("Enter a valid email address, like name@example.org.")
        return email
    try:
        # No DNS: a supporter must not wait on their domain's name servers, and tests
        # must not reach the internet. The confirmation email proves the address anyway.
        valid = validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        problems.errors["email"] = _("Enter a valid email address, like name@example.org.")
        return email
    if valid.ascii_email is None:
        # Letters beyond ASCII before the @ need SMTPUTF8 end to end, which few mail servers
        # (and not Python's email package) support: such a confirmation would never arrive.
        problems.errors["email"] = _(
            "We cannot send email to an address with non-Latin letters before the @ yet. "
            "Please use another address."
        )
        return email
    # The ASCII spelling (an international domain in punycode) is the one every server takes.
    return valid.ascii_email


def _clean_country(country: str, problems: FieldErrors) -> str:
    country = country.upper()
    if not country:
        problems.errors["country"] = _("Choose your country.")
    elif country not in COUNTRY_CODES:
        problems.errors["country"] = _("Choose a country from the list.")
    return country


def canonical_phone(phone: str, country: str) -> str | None:
    """A phone number in E.164 (`+33612345678`), read as a number of `country` unless it
    starts with + and a country code; None if it is not a number that can exist."""
    try:
        number = phonenumbers.parse(phone, country if country in COUNTRY_CODES else None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean_phone(phone: str, country: str, problems: FieldErrors) -> str | None:
    if not phone:
        return None
    e164 = canonical_phone(phone, country)
    if e164 is None:
        problems.errors["phone"] = _(
            "Enter a valid phone number. Start with + and the country code if it is not "
            "a number from the country you chose."
        )
    return e164


def _clean_comment(comment: str, problems: FieldErrors) -> str | None:
    comment = comment.replace("\r\n", "\n")
    if len(comment) > MAX_COMMENT:
        problems.errors["comment"] = _("Your message can be at most %(max)d characters long.") % {
            "max": MAX_COMMENT
        }
    elif has_unacceptable_characters(comment, allowed="\n\t"):
        problems.errors["comment"] = _("Your message contains characters we cannot accept.")
    return comment or None


def _checked(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in _CHECKED


def attribution(value: object) -> str | None:
    """A `source` or `partner` code, or None when it does not look like one."""
    if isinstance(value, str) and _ATTRIBUTION.match(value.strip()):
        return value.strip()
    return None


def campaign_tags(data: Mapping[str, object]) -> dict[str, str] | None:
    """The utm_* tags that look like tags (one line of at most MAX_UTM characters), or None."""
    tags = {}
    for key in UTM_KEYS:
        value = data.get(key)
        if not isinstance(value, str):
            continue
        value = value.strip()
        if value and len(value) <= MAX_UTM and not has_unacceptable_characters(value):
            tags[key] = value
    return tags or None
