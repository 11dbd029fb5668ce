"""The criteria of an invalidation, as a campaigner typed them (or an alert's link filled them
in), checked, with a message per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from campaign_engine.domain.signing.invalidations import has_criteria
from campaign_engine.formats.fields import parse_local_datetime
from campaign_engine.i18n import N_, _
from campaign_engine.models.signing import InvalidationCriteria, Suspicion

FIELDS = ("domain", "client", "signed_from", "signed_until", "suspicion")
# Letters (any script), digits, dots and hyphens: never a space, an @, or a LIKE wildcard.
_DOMAIN = re.compile(r"[^\s@%_\\]{1,63}(?:\.[^\s@%_\\.]{1,63})+")
_CLIENT = re.compile(r"[0-9a-f]{32}")
FIRST_YEAR, LAST_YEAR = 2000, 2999
ANY_SUSPICION = "any"
SUSPICION_CHOICES = {
    ANY_SUSPICION: N_("Suspected for any reason"),
    Suspicion.CLIENT_RATE: N_("Too many from one address"),
    Suspicion.HONEYPOT: N_("Filled in the hidden field"),
    Suspicion.DISPOSABLE_DOMAIN: N_("Disposable email address"),
    Suspicion.PROOF_OF_WORK: N_("No proof of work"),
}
assert set(SUSPICION_CHOICES) == {ANY_SUSPICION, *Suspicion}, "a label for every reason"


def criteria_values(query: Mapping[str, str]) -> dict[str, str]:
    return {name: query.get(name, "").strip() for name in FIELDS}


def parse_criteria(values: Mapping[str, str]) -> InvalidationCriteria | dict[str, str]:
    """The criteria, or the problems with them (field name -> message)."""
    errors: dict[str, str] = {}
    domain = values.get("domain", "").lower().removeprefix("@") or None
    if domain is not None and not _DOMAIN.fullmatch(domain):
        errors["domain"] = _("Enter a domain like example.org, without the part before the @.")
    client = values.get("client", "").lower() or None
    if client is not None and not _CLIENT.fullmatch(client):
        errors["client"] = _(
            "Enter a client as shown in the list of trends: 32 letters and digits."
        )
    signed_from = _moment(values, "signed_from", errors)
    signed_until = _moment(values, "signed_until", errors)
    if signed_from and signed_until and signed_until <= signed_from:
        errors["signed_until"] = _("The end must come after the start.")
    suspicion = values.get("suspicion") or None
    if suspicion is not None and suspicion not in SUSPICION_CHOICES:
        errors["suspicion"] = _("Choose a reason from the list.")
    if errors:
        return errors
    criteria = InvalidationCriteria(
        domain=domain,
        client_key=bytes.fromhex(client) if client else None,
        signed_from=signed_from,
        signed_until=signed_until,
        suspicion=suspicion,
    )
    if not has_criteria(criteria):
        return {"domain": _("Say which signatures: fill in at least one of these fields.")}
    return criteria


def _moment(values: Mapping[str, str], name: str, errors: dict[str, str]) -> datetime | None:
    typed = values.get(name, "")
    if not typed:
        return None
    try:
        return parse_local_datetime(typed, "UTC", first_year=FIRST_YEAR, last_year=LAST_YEAR)
    except ValueError:
        errors[name] = _("Enter a date and time like 2026-03-31 14:30.")
        return None
