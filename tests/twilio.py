"""The Twilio stand-in the tests reach over real HTTP; it lives in the product now, beside the
fault drill that uses it too (campaign_engine/drill/twilio_standin.py)."""

from campaign_engine.drill.twilio_standin import (
    ACCEPT,
    ACCOUNT_SID,
    AUTH_TOKEN,
    DROP,
    SENDER,
    TAKE_AND_DROP,
    SentText,
    TwilioRecord,
    TwilioStandIn,
)

__all__ = [
    "ACCEPT",
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "DROP",
    "SENDER",
    "TAKE_AND_DROP",
    "SentText",
    "TwilioRecord",
    "TwilioStandIn",
]
