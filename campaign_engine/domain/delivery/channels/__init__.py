"""Channels: the ways a message travels (email, text, webhook), each declared once, in a module
of its own here. May import: domain/, messages, models, formats; its carriers are handed in.

A channel says what it is once: its name (the `channels` table's row, added by its
migration), how the workspace names it, how an address for it is checked and stored, how
each kind of message is written for it, and how a written message is carried (the carrier,
its budget, making sure it goes once). Every module of this package is loaded with it, so
adding a channel is one module here plus one migration (docs/design.md, "Channels").
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.sms_budget import Held
from campaign_engine.domain.targets.target_fields import MAX_ADDRESSES
from campaign_engine.formats.fields import InvalidValue
from campaign_engine.i18n import _
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendResult

# How a kind of message is written for a channel: from what the kind read (its letter, its
# update, its supporter), the message as the carrier takes it.
Writer = Callable[[Sending, Delivery, Any], Any]
# How a written message goes: what came of it, for the outbox to record.
Carry = Callable[[Sending, Delivery, Any], Awaitable[SendResult]]


class Undeliverable(Exception):
    """Nothing can be sent for this row: say why, and the row is finished."""


class NotToday(Exception):
    """A budget holds this message until another day: the row waits, untried."""

    def __init__(self, held: Held) -> None:
        super().__init__(held.reason)
        self.held = held


@dataclass(frozen=True)
class TypedAddresses:
    """How a campaigner types a target's addresses for a channel: in the target's form (a
    field of its own) and in a target file (a column of its own)."""

    # One address as typed, checked and normalised (country: the target's, for phone
    # numbers); raises formats.fields.InvalidValue with a message for the campaigner.
    clean: Callable[[str, str | None], str]
    form_field: str  # the target form's field ("emails")
    column: str  # the target file's column ("email")
    label: str  # "Email addresses" (marked with N_, shown through gettext)
    hint: str  # how to write them, under the form's field (N_ too)
    file_hint: str  # how to write them in the file's column (N_ too)
    missing: str  # said when an action writes to a target on it who has none (N_ too)
    separators: re.Pattern[str]  # between addresses in one field or cell


@dataclass(frozen=True)
class Channel:
    name: str  # as deliveries, contacts and action settings store it (the `channels` table)
    label: str  # how the workspace names it (marked with N_, shown through gettext)
    writers: Mapping[DeliveryKind, Writer]
    carry: Carry
    reaches_officials: bool = False  # offered for an action's targets
    reaches_supporters: bool = False  # offered for updates to supporters
    typed: TypedAddresses | None = None  # None: nobody types addresses for it


CHANNELS: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Declare a channel (each channel module does, once, when it is loaded)."""
    if channel.name in CHANNELS:
        raise ValueError(f"the channel {channel.name!r} is declared twice")
    if channel.reaches_officials and channel.typed is None:
        raise ValueError(
            f"the channel {channel.name!r} reaches officials: say how addresses are typed"
        )
    CHANNELS[channel.name] = channel
    return channel


def channel_named(name: str) -> Channel:
    """The channel a row names. A row can only name one its migration added; a channel whose
    module is missing is a deployment error, and says so."""
    try:
        return CHANNELS[name]
    except KeyError:
        raise Undeliverable(f"no channel {name!r} is declared in this version") from None


def officials_channels() -> tuple[str, ...]:
    return tuple(name for name, channel in CHANNELS.items() if channel.reaches_officials)


def supporters_channels() -> tuple[str, ...]:
    return tuple(name for name, channel in CHANNELS.items() if channel.reaches_supporters)


def typed_channels() -> tuple[Channel, ...]:
    """The channels whose addresses a campaigner types for a target, in the order declared."""
    return tuple(channel for channel in CHANNELS.values() if channel.typed is not None)


def clean_addresses(text: str, channel: str, country: str | None) -> list[str]:
    """Every address for `channel` in `text` (one per line, or separated as the channel
    allows), each once, cleaned as the channel checks one; the first problem found is raised."""
    typed = CHANNELS[channel].typed
    if typed is None:
        raise ValueError(f"addresses for the {channel!r} channel are not typed in")
    given = list(dict.fromkeys(filter(None, (a.strip() for a in typed.separators.split(text)))))
    if len(given) > MAX_ADDRESSES:
        raise InvalidValue(_("Give at most %(max)d addresses.") % {"max": MAX_ADDRESSES})
    return list(dict.fromkeys(typed.clean(address, country) for address in given))


for _module in sorted(pkgutil.iter_modules(__path__), key=lambda found: found.name):
    importlib.import_module(f"{__name__}.{_module.name}")
