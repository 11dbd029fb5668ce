"""The workspace's forms: what a campaigner typed, checked, with a message per field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from campaign_engine import i18n
from campaign_engine.i18n import _
from campaign_engine.models.workspace import Role

MAX_NAME = 100


@dataclass(frozen=True)
class NewColleague:
    email: str
    name: str
    role: Role
    locale: str


def parse_invitation(values: Mapping[str, str], roles: list[Role]) -> NewColleague | dict[str, str]:
    """An invitation, or the problems with it (field name -> message)."""
    errors: dict[str, str] = {}
    name = " ".join(values.get("name", "").split())
    if not name:
        errors["name"] = _("Enter their name.")
    elif len(name) > MAX_NAME:
        errors["name"] = _("A name can be at most %(max)d characters long.") % {"max": MAX_NAME}
    email = _email(values.get("email", ""), errors)
    role = next((r for r in roles if r.value == values.get("role")), None)
    if role is None:
        errors["role"] = _("Choose a role.")
    locale = i18n.supported(values.get("locale", "")) or i18n.SOURCE_LOCALE
    if errors or role is None:
        return errors
    return NewColleague(email, name, role, locale)


def _email(typed: str, errors: dict[str, str]) -> str:
    try:
        # No DNS: the invitation link proves the address anyway.
        valid = validate_email(typed.strip(), check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _("Enter a valid email address, like name@example.org.")
        return typed
    if valid.ascii_email is None:
        errors["email"] = _(
            "We cannot send email to an address with non-Latin letters before the @ yet. "
            "Please use another address."
        )
        return typed
    return valid.ascii_email.lower()
