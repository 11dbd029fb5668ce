"""Signed links and keyed hashes, all derived from SECRET_KEY.

Each kind of link has its own salt, so a token made for one purpose never opens another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

# A confirmation link stays valid long enough for a supporter who reads mail weekly.
CONFIRMATION_MAX_AGE = timedelta(days=30)
# A link to a supporter's own data: long enough to act on an email, short enough to lose its
# power if the email is forwarded or its mailbox later falls into other hands.
PRIVACY_MAX_AGE = timedelta(days=14)
# A proof of work is solved within seconds of the form being sent; ten minutes is generous.
PROOF_OF_WORK_MAX_AGE = timedelta(minutes=10)
# A preview link is passed to a colleague or a partner for a review: a week, then worthless.
PREVIEW_MAX_AGE = timedelta(days=7)


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
        # Never expires: a supporter may unsubscribe from an email years old.
        self._unsubscribe = URLSafeSerializer(secret_key, salt="unsubscribe")
        self._privacy = URLSafeTimedSerializer(secret_key, salt="privacy")
        self._proof_of_work = URLSafeTimedSerializer(secret_key, salt="proof-of-work")
        # Never expires either: a member may leave the network from an alert years old.
        self._network = URLSafeSerializer(secret_key, salt="network-member")
        self._not_me = URLSafeSerializer(secret_key, salt="not-my-signature")
        # An alert's one-click act: bound to a member and an action, it ends with the action
        # (checked when used), and is used once (a member signs an action once).
        self._act = URLSafeSerializer(secret_key, salt="one-click-act")
        # Following a case: to say yes, and to stop, from any of its emails, years later too.
        self._follow = URLSafeSerializer(secret_key, salt="follow-case")
        # Its expiry travels inside it, so the page can say until when it works.
        self._preview = URLSafeSerializer(secret_key, salt="action-preview")
        # The thank-you page's parts for one signer: their own mailbox, a solidarity message.
        self._thanks = URLSafeTimedSerializer(secret_key, salt="thanks-in-person")

    def thanks_token(self, signature_id: UUID) -> str:
        return self._thanks.dumps(signature_id.hex)

    def read_thanks_token(self, token: str, max_age: timedelta) -> UUID:
        """InvalidLink for a token not ours, or older than `max_age`."""
        try:
            return UUID(hex=self._thanks.loads(token, max_age=int(max_age.total_seconds())))
        except (BadSignature, ValueError, TypeError) as error:
            raise InvalidLink from error

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

    def unsubscribe_token(self, supporter_id: UUID, scope: str, locale: str) -> str:
        """The link under every update: whose it is (an id, not an address), what it stops,
        and the language of the message it came in."""
        return self._unsubscribe.dumps([supporter_id.hex, scope, locale])

    def read_unsubscribe_token(self, token: str) -> tuple[UUID, str, str]:
        """(supporter, scope, locale) of a link we made; InvalidLink for any other."""
        try:
            hex_id, scope, locale = self._unsubscribe.loads(token)
            return UUID(hex=str(hex_id)), str(scope), str(locale)
        except (BadSignature, ValueError, TypeError) as bad:
            raise InvalidLink from bad

    def not_me_token(self, signature_id: UUID, locale: str) -> str:
        """The "this wasn't me" link in a signer's emails: it takes one signature back. It
        does not expire: an address may learn months later what was signed with it."""
        return self._not_me.dumps([signature_id.hex, locale])

    def read_not_me_token(self, token: str) -> tuple[UUID, str]:
        """(signature, locale) of a link we made; InvalidLink for any other."""
        return _id_and_text(self._not_me.loads, token)

    def network_token(self, supporter_id: UUID, locale: str) -> str:
        """The link in every network email: the member's way to say yes, to their
        preferences and out, in the language they joined in. It names an id, not an address."""
        return self._network.dumps([supporter_id.hex, locale])

    def read_network_token(self, token: str) -> tuple[UUID, str]:
        """(supporter, locale) of a link we made; InvalidLink for any other."""
        return _id_and_text(self._network.loads, token)

    def act_token(self, supporter_id: UUID, action_id: int, locale: str) -> str:
        """The button in an alert: this member signs this action, in this language."""
        return self._act.dumps([supporter_id.hex, action_id, locale])

    def read_act_token(self, token: str) -> tuple[UUID, int, str]:
        """(supporter, action, locale) of a link we made; InvalidLink for any other."""
        return _id_number_and_text(self._act.loads, token)

    def follow_token(self, supporter_id: UUID, case_id: int, locale: str) -> str:
        """The link in a follower's emails: to say yes, or to stop, in their language."""
        return self._follow.dumps([supporter_id.hex, case_id, locale])

    def read_follow_token(self, token: str) -> tuple[UUID, int, str]:
        """(supporter, case, locale) of a link we made; InvalidLink for any other."""
        return _id_number_and_text(self._follow.loads, token)

    def privacy_token(self, supporter_id: UUID, locale: str) -> str:
        """The link to a supporter's own data (download it, or erase it), in their language.
        It expires (PRIVACY_MAX_AGE): an old email forwarded on must not open it for long."""
        return self._privacy.dumps([supporter_id.hex, locale])

    def read_privacy_token(self, token: str) -> tuple[UUID, str]:
        try:
            hex_id, locale = self._privacy.loads(
                token, max_age=int(PRIVACY_MAX_AGE.total_seconds())
            )
            return UUID(hex=str(hex_id)), str(locale)
        except SignatureExpired as expired:
            raise ExpiredLink from expired
        except (BadSignature, ValueError, TypeError) as bad:
            raise InvalidLink from bad

    def proof_of_work_challenge(self) -> str:
        """A fresh challenge for the signing form's proof of work; it names nobody."""
        return self._proof_of_work.dumps(secrets.token_hex(8))

    def read_proof_of_work_challenge(self, token: str) -> str:
        """The challenge's own id, if we made it within PROOF_OF_WORK_MAX_AGE."""
        try:
            return str(
                self._proof_of_work.loads(token, max_age=int(PROOF_OF_WORK_MAX_AGE.total_seconds()))
            )
        except SignatureExpired as expired:
            raise ExpiredLink from expired
        except BadSignature as bad:
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

    def preview_token(self, action_id: int, locale: str, expires_at: datetime) -> str:
        """A link that shows one language of an action, published or not, until `expires_at`."""
        return self._preview.dumps([action_id, locale, int(expires_at.timestamp())])

    def read_preview_token(self, token: str, now: datetime) -> tuple[int, str, datetime]:
        """The action's id, the language and the expiry a preview link names."""
        try:
            action_id, locale, expires = self._preview.loads(token)
        except (BadSignature, ValueError, TypeError) as bad:
            raise InvalidLink from bad
        if not isinstance(action_id, int) or not isinstance(locale, str):
            raise InvalidLink
        if not isinstance(expires, int):
            raise InvalidLink
        expires_at = datetime.fromtimestamp(expires, UTC)
        if expires_at <= now:
            raise ExpiredLink
        return action_id, locale, expires_at


def new_session_token() -> tuple[str, bytes]:
    """A random token for a cookie or a one-time link, and the hash we keep of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _id_and_text(loads: Callable[[str], Any], token: str) -> tuple[UUID, str]:
    """An [id, text] link of ours, read back; InvalidLink for any other."""
    try:
        hex_id, text = loads(token)
        return UUID(hex=str(hex_id)), str(text)
    except (BadSignature, ValueError, TypeError) as bad:
        raise InvalidLink from bad


def _id_number_and_text(loads: Callable[[str], Any], token: str) -> tuple[UUID, int, str]:
    """An [id, number, text] link of ours (a supporter, an action or a case, a language),
    read back; InvalidLink for any other."""
    try:
        hex_id, number, text = loads(token)
        return UUID(hex=str(hex_id)), int(number), str(text)
    except (BadSignature, ValueError, TypeError) as bad:
        raise InvalidLink from bad
