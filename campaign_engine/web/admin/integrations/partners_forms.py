"""The partner form: what a campaigner typed, tidied and checked, with a message per field.

Origins are what a browser sends in its Origin header (`https://example.org`, lower-case, a
port only when it is not the scheme's own): the widget's framing and the API's CORS compare
them as exact strings, so they are kept in exactly that form.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from campaign_engine import i18n
from campaign_engine.formats import fields
from campaign_engine.formats.fields import MAX_SLUG, InvalidValue
from campaign_engine.i18n import _
from campaign_engine.models.integrations import PartnerDetails

MAX_NAME = 200
MAX_EMAIL = 254
MAX_ORIGINS = 20
MAX_ORIGIN = 255
MAX_CONSENT_TEXT = 500
DEFAULT_PORTS = {"http": 80, "https": 443}

Errors = dict[str, str]


def consent_field(tag: str) -> str:
    return f"consent_{tag}"


def consent_label(tag: str) -> str:
    """ "Opt-in sentence in Spanish", naming the language in the reader's own."""
    name = i18n.babel_locale(tag).get_display_name(i18n.active().babel) or tag
    return _("Opt-in sentence in %(language)s") % {"language": name}


def parse_new_partner(
    values: Mapping[str, str], *, plain_http: bool
) -> tuple[str, PartnerDetails] | Errors:
    """`plain_http`: whether `http://` origins are taken (domain/integrations/partners.py
    says where)."""
    errors: Errors = {}
    slug = fields.typed_slug(values.get("slug", ""))
    if not slug:
        errors["slug"] = _("Enter a short name for the partner, like amnesty-lyon.")
    elif not fields.is_slug(slug):
        errors["slug"] = _(
            "Use only lower-case letters a to z, digits and single hyphens between them "
            "(at most %(max)d characters), like amnesty-lyon."
        ) % {"max": MAX_SLUG}
    details = _details(values, errors, plain_http)
    if errors or details is None:
        return errors
    return slug, details


def parse_partner(values: Mapping[str, str], *, plain_http: bool) -> PartnerDetails | Errors:
    errors: Errors = {}
    details = _details(values, errors, plain_http)
    return errors if errors or details is None else details


def _details(values: Mapping[str, str], errors: Errors, plain_http: bool) -> PartnerDetails | None:
    name = fields.check(
        errors, "name", lambda text: fields.clean_line(text, MAX_NAME), values.get("name", "")
    )
    if name == "":
        errors["name"] = _("Enter the partner's name.")
    email = fields.check(errors, "contact_email", _clean_email, values.get("contact_email", ""))
    origins = fields.check(
        errors,
        "allowed_origins",
        lambda text: clean_origins(text, plain_http=plain_http),
        values.get("allowed_origins", ""),
    )
    texts: dict[str, str] = {}
    for tag in i18n.LOCALES:
        field = consent_field(tag)
        text = fields.check(
            errors,
            field,
            lambda typed: fields.clean_line(typed, MAX_CONSENT_TEXT),
            values.get(field, ""),
        )
        if text:
            texts[tag] = text
    if errors or name is None or origins is None:
        return None
    return PartnerDetails(name, email or None, origins, texts)


def _clean_email(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    try:
        # No DNS: saving a form must not wait on the partner's name servers.
        if len(text) > MAX_EMAIL:
            raise EmailNotValidError
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise InvalidValue(_("Enter a valid email address, like name@example.org.")) from None


def clean_origins(text: str, *, plain_http: bool) -> tuple[str, ...]:
    """One origin a line, each normalised; blank lines and repeats dropped."""
    found: list[str] = []
    for line in text.splitlines():
        if line.strip() and (origin := clean_origin(line.strip(), plain_http)) not in found:
            found.append(origin)
    if len(found) > MAX_ORIGINS:
        raise InvalidValue(
            _("A partner can have at most %(max)d allowed origins.") % {"max": MAX_ORIGINS}
        )
    return tuple(found)


def clean_origin(text: str, plain_http: bool) -> str:
    """`https://Example.org:443/` → `https://example.org`; anything else than a scheme, a
    host and a port is refused, naming the line, and so is `http://` unless `plain_http`."""
    refused = InvalidValue(
        _(
            "“%(origin)s” is not an origin. Write only the scheme and the host, with a port "
            "if it has one, like https://example.org."
        )
        % {"origin": text[:80]}
    )
    if len(text) > MAX_ORIGIN or fields.unacceptable(text, allowed="") or " " in text:
        raise refused
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise refused from None
    host = parts.hostname or ""
    if (
        parts.scheme.lower() not in DEFAULT_PORTS
        or not host
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or text.endswith(("?", "#"))
        or not all(c.isascii() and (c.isalnum() or c in ".-[]:") for c in host)
    ):
        raise refused
    scheme = parts.scheme.lower()
    if scheme == "http" and not plain_http:
        raise InvalidValue(
            _(
                "“%(origin)s” is a page served without HTTPS, which may not show the widget. "
                "Write its https:// address."
            )
            % {"origin": text[:80]}
        )
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def partner_values(details: PartnerDetails) -> dict[str, str]:
    """The form's fields, filled from the partner's record."""
    return {
        "name": details.name,
        "contact_email": details.contact_email or "",
        "allowed_origins": "\n".join(details.allowed_origins),
        **{consent_field(tag): text for tag, text in details.consent_texts.items()},
    }
