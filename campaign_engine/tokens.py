"""Signed links and keyed hashes, all derived from SECRET_KEY.

Each kind of link has its own salt, so a token made for one purpose never opens another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from uuid import UUID

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

# A confirmation link stays valid long enough for a supporter who reads mail weekly.
CONFIRMATION_MAX_AGE = timedelta(days=30)


class InvalidLink(Exception):
    """The link was not made by us, or was altered."""


class ExpiredLink(Exception):
    """The link was made by us, but too long ago."""


class Tokens:
    def __init__(self, secret_key: str) -> None:
        self._confirmation = URLSafeTimedSerializer(secret_key, salt="confirm-signature")
        self._client_key = hashlib.sha256(f"client-address:{secret_key}".encode()).digest()
        self._phone_key = hashlib.sha256(f"phone-number:{secret_key}".encode()).digest()
        self._account_key = hashlib.sha256(f"sign-in-address:{secret_key}".encode()).digest()
        self._csrf_key = hashlib.sha256(f"csrf:{secret_key}".encode()).digest()
        self._second_factor = URLSafeTimedSerializer(secret_key, salt="second-factor-enrolment")

    def confirmation_token(self, signature_id: UUID) -> str:
        return self._confirmation.dumps(signature_id.hex)

    def read_confirmation_token(self, token: str) -> UUID:
        try:
            payload = self._confirmation.loads(
                token, max_age=int(CONFIRMATION_MAX_AGE.total_seconds())
            )
        except SignatureExpired as expired:
            raise ExpiredLink from expired
        except BadSignature as bad:
            raise InvalidLink from bad
        try:
            return UUID(hex=str(payload))
        except ValueError as bad:
            raise InvalidLink from bad

    def client_key(self, address: str) -> bytes:
        """A keyed hash of a client address: lets us count repeats without keeping addresses."""
        return hmac.new(self._client_key, address.encode(), hashlib.sha256).digest()[:16]

    def phone_key(self, e164: str) -> bytes:
        """A keyed hash of a phone number: enough to honour STOP without keeping the number."""
        return hmac.new(self._phone_key, e164.encode(), hashlib.sha256).digest()

    def account_key(self, email: str) -> bytes:
        """A keyed hash of an address typed at sign-in, to count attempts without keeping it."""
        return hmac.new(self._account_key, email.encode(), hashlib.sha256).digest()[:16]

    def csrf_token(self, binding: bytes) -> str:
        """The form token for a session (or a sign-in page's cookie): made from it, so it can
        be checked without being stored, and useless to anyone who cannot read our pages."""
        return hmac.new(self._csrf_key, binding, hashlib.sha256).hexdigest()

    def csrf_matches(self, binding: bytes, given: str) -> bool:
        return hmac.compare_digest(self.csrf_token(binding), given)

    def enrolment_token(self, staff_id: int, secret: str) -> str:
        """A second-factor secret on its way through the enrolment form, tied to its account."""
        return self._second_factor.dumps([staff_id, secret])

    def read_enrolment_token(self, token: str, staff_id: int, max_age: timedelta) -> str:
        try:
            owner, secret = self._second_factor.loads(token, max_age=int(max_age.total_seconds()))
        except (BadSignature, ValueError, TypeError) as bad:
            raise InvalidLink from bad
        if owner != staff_id or not isinstance(secret, str):
            raise InvalidLink
        return secret


def new_session_token() -> tuple[str, bytes]:
    """A random token for a cookie or a one-time link, and the hash we keep of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
