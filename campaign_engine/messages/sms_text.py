"""How long a text message is in the units phones count, and how many parts it costs.

A text is sent in GSM-7 when every character is in the GSM 03.38 alphabet (the characters of
its extension table take two septets), and in UCS-2 otherwise (UTF-16 code units: a character
outside the Basic Multilingual Plane takes two). One part holds 160 septets or 70 units; a
longer text is split into parts of 153 septets or 67 units, the rest carrying the headers that
join them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from uuid import UUID

from campaign_engine.links import absolute_url
from campaign_engine.settings import Settings

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Encoding:
    name: str
    single: int  # units in a text of one part
    per_part: int  # units in each part of a longer text


def status_callback(settings: Settings, delivery_id: UUID) -> str:
    """Where Twilio reports what became of a text: the delivery's id rides in the query."""
    callback = absolute_url(settings.public_base_url, "webhooks.twilio_status")
    return f"{callback}?{urlencode({'d': delivery_id})}"


GSM7 = Encoding("GSM-7", 160, 153)
UCS2 = Encoding("UCS-2", 70, 67)


def encoding_of(text: str) -> Encoding:
    return GSM7 if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text) else UCS2


def units(text: str) -> int:
    if encoding_of(text) is GSM7:
        return sum(2 if c in GSM7_EXTENSION else 1 for c in text)
    return len(text.encode("utf-16-le")) // 2


def parts(text: str) -> int:
    encoding, length = encoding_of(text), units(text)
    if length <= encoding.single:
        return 1
    return -(-length // encoding.per_part)  # ceiling


def fits(text: str, max_parts: int) -> bool:
    return parts(text) <= max_parts


@dataclass(frozen=True)
class Sms:
    """A text as it leaves: the number, the words, and where the provider reports back."""

    to: str  # E.164
    body: str
    status_callback: str | None = None  # where Twilio reports what became of it
