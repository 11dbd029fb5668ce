"""Text messages, through Twilio: to officials (appeals, digests), to supporters who asked
for updates by text, and to members of the network who asked for the most urgent alerts by
text (and the text asking their number to answer YES). A text goes once: the attempt is
written down before Twilio is called, and a row whose last attempt may have gone is looked
for at Twilio before anything is sent again. A supporter's or a member's text also spends
from the budgets (domain/delivery/sms_budget.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from campaign_engine.domain.delivery.channels import Channel, NotToday, TypedAddresses, register
from campaign_engine.domain.delivery.context import Sending
from campaign_engine.domain.delivery.deliveries import adopt_found_text, note_text_attempt
from campaign_engine.domain.delivery.sms_budget import Held, give_back_slot, take_slot
from campaign_engine.domain.targets.target_fields import clean_phone
from campaign_engine.i18n import N_
from campaign_engine.messages.appeals import compose_appeal_sms, compose_digest_sms
from campaign_engine.messages.network_alerts import compose_alert_sms, compose_ask_sms
from campaign_engine.messages.sms_text import Sms
from campaign_engine.messages.supporter_updates import compose_update_sms
from campaign_engine.models.delivery import Delivery, DeliveryKind, SendOutcome, SendResult

LOST_ROW = "another worker holds the row now"


@dataclass(frozen=True)
class Text:
    sms: Sms
    budgeted: bool  # a supporter's text spends from the budgets; an official's does not


async def carry(sending: Sending, delivery: Delivery, text: Text) -> SendResult:
    """A text sent once (see above); held by the budgets for another day with NotToday."""
    if delivery.text_attempted_at is not None:
        earlier = await _earlier_attempt(sending, delivery, text.sms)
        if earlier is not None:
            return earlier
    checked = await take_slot(
        sending.pool,
        sending.clock,
        sending.tokens,
        sending.sms_policy,
        text.sms.to,
        budgeted=text.budgeted,
    )
    if isinstance(checked, Held):
        raise NotToday(checked)
    if checked is not None:
        return checked
    # Written down before Twilio is called, so a crash or a lost answer leaves a trace.
    noted = await note_text_attempt(sending.pool, sending.clock, delivery)
    if noted:
        result = await sending.texter.send(text.sms)
    else:
        result = SendResult(SendOutcome.TEMPORARY, LOST_ROW)
    if text.budgeted and result.outcome in (SendOutcome.TEMPORARY, SendOutcome.PERMANENT):
        # It did not go: nothing spent.
        await give_back_slot(sending.pool, sending.clock, sending.tokens, text.sms.to)
    return result


async def _earlier_attempt(sending: Sending, delivery: Delivery, sms: Sms) -> SendResult | None:
    """What came of the last attempt, if Twilio has its text (then it is this row's, and
    nothing is sent), or if Twilio cannot say (then the row waits); None: it never went."""
    assert delivery.text_attempted_at is not None
    found = await sending.texter.find(sms, delivery.text_attempted_at)
    if found is None:
        return SendResult(SendOutcome.TEMPORARY, "Twilio could not say whether it went")
    adopted = await adopt_found_text(sending.pool, delivery, found)
    if adopted is not None:
        return SendResult(SendOutcome.SENT, "found at Twilio", provider_id=adopted)
    return None


def _to_official(sms: Sms) -> Text:
    return Text(sms, budgeted=False)


SMS = register(
    Channel(
        name="sms",
        label=N_("Text message"),
        writers={
            DeliveryKind.APPEAL: lambda s, _d, letter: _to_official(
                compose_appeal_sms(s.templates, s.settings, letter)
            ),
            DeliveryKind.DIGEST: lambda s, _d, letter: _to_official(
                compose_digest_sms(s.templates, s.settings, letter)
            ),
            DeliveryKind.REPEATS: lambda s, _d, letter: _to_official(
                compose_digest_sms(s.templates, s.settings, letter)
            ),
            DeliveryKind.UPDATE: lambda s, _d, update: Text(
                compose_update_sms(s.templates, s.settings, update), budgeted=True
            ),
            DeliveryKind.NETWORK_ALERT: lambda s, _d, alert: Text(
                compose_alert_sms(s.templates, s.settings, alert), budgeted=True
            ),
            DeliveryKind.NETWORK_TEXTS: lambda s, _d, ask: Text(
                compose_ask_sms(s.templates, s.settings, ask), budgeted=True
            ),
        },
        carry=carry,
        reaches_officials=True,
        reaches_supporters=True,
        typed=TypedAddresses(
            clean=clean_phone,
            form_field="phones",
            column="phone",
            label=N_("Phone numbers"),
            hint=N_("One per line, with the country code, like +52 55 1234 5678."),
            file_hint=N_(
                "One or more, separated by semicolons, with the country code, "
                "like +52 55 1234 5678."
            ),
            missing=N_("This target has no phone number: add one on its page first."),
            # A phone number may be written with spaces: lines, commas, semicolons part them.
            separators=re.compile(r"[\r\n,;]+"),
        ),
    )
)
