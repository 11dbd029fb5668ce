"""The second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

A code is accepted in the thirty-second step it belongs to or either neighbour (a phone's
clock drifts), and only once: the caller records the step it matched and refuses it again.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

STEP_SECONDS = 30
DRIFT_STEPS = (0, -1, 1)


def new_secret() -> str:
    return pyotp.random_base32()


def enrolment_uri(secret: str, account: str, issuer: str) -> str:
    """The `otpauth://` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def enrolment_qr_svg(uri: str) -> str:
    """The QR code as inline SVG: drawn on our own page, fetched from nowhere."""
    return str(segno.make_qr(uri, error="m").svg_inline(scale=5, border=2, omitsize=True))


def code_for(secret: str, at: datetime) -> str:
    """The code an app shows at a moment (what tests and a new enrolment's check use)."""
    return pyotp.TOTP(secret).at(at)


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The time step whose code this is, or None if it is no current code."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(at.timestamp()) // STEP_SECONDS
    for step in (now + drift for drift in DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
