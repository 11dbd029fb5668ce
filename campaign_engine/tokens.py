"""Signed links and keyed hashes, all derived from SECRET_KEY.

Each kind of link has its own salt, so a token made for one purpose never opens another.
"""

from __future__ import annotations

import hashlib
import hmac
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
