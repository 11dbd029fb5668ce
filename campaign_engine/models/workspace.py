"""Campaigners: their roles, accounts, sessions and the audit log."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.StrEnum):
    """A campaigner's role; what each may do is `domain/workspace/access.py`'s."""

    OWNER = "owner"
    ADMIN = "admin"
    CAMPAIGNER = "campaigner"
    TRANSLATOR = "translator"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Staff:
    """A campaigner's account, without its secrets."""

    id: int
    email: str
    name: str
    role: Role
    locale: str
    has_password: bool
    has_second_factor: bool
    disabled: bool


@dataclass(frozen=True)
class StaffSecrets:
    """What signing in checks: read only by the verbs that do."""

    staff_id: int
    password_hash: str | None
    totp_secret: str | None


@dataclass(frozen=True)
class StaffSession:
    """A signed-in browser: whose, and whether every factor was shown."""

    token_hash: bytes
    staff: Staff
    verified: bool
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff_name: str | None  # None: the system or the command line
    verb: str
    object_type: str | None
    object_id: str | None
    detail: dict[str, object]
    at: datetime
