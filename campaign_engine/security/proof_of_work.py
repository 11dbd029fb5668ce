"""A proof of work for the signing form, served by us (never a third party's CAPTCHA: many
supporters cannot reach Google, and none should be handed to it).

The server hands out a signed, expiring challenge; the browser finds a nonce such that
SHA-256(challenge ":" nonce) starts with DIFFICULTY zero bits (about 65,000 tries: a second or
two on a phone, `static/pow.js`); the server checks the signature, the age, the hash, and that
the challenge was not used before. A robot can pay the price too, but then every signature
costs it that much; a flood stops being cheap.
"""

from __future__ import annotations

import hashlib

DIFFICULTY = 16
MAX_NONCE_LENGTH = 20


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + 8 - byte.bit_length()
    return bits


def solves(challenge: str, nonce: str, difficulty: int = DIFFICULTY) -> bool:
    if not nonce.isdigit() or len(nonce) > MAX_NONCE_LENGTH:
        return False
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return leading_zero_bits(digest) >= difficulty


def solve(challenge: str, difficulty: int = DIFFICULTY) -> str:
    """What the browser does, for tests and API clients written in Python."""
    nonce = 0
    while not solves(challenge, str(nonce), difficulty):
        nonce += 1
    return str(nonce)
