"""A webhook's message: a signed JSON POST to a receiver's URL, the Standard Webhooks way.

The receiver checks three headers: `webhook-id` (the same on every retry of one message, so it
can drop repeats), `webhook-timestamp` (seconds since the epoch, so it can refuse replays) and
`webhook-signature` (`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with
the base64-decoded part of the `whsec_…` secret). Any Standard Webhooks library verifies it.
Carried by senders/webhooks.py; made here, apart from the HTTP client, so that what writes it
(the web process among them) does not load one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)  # nosec B105 # a prefix, not a secret


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class WebhookPost:
    url: str
    message_id: str  # stable across retries
    timestamp: int  # of this attempt, in seconds
    body: bytes
    secret: str

    def headers(self) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": "campaign-engine-webhooks",
            "webhook-id": self.message_id,
            "webhook-timestamp": str(self.timestamp),
            "webhook-signature": signature(self.secret, self.message_id, self.timestamp, self.body),
        }
