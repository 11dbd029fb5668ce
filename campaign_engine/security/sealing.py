"""Supporters' personal data sealed at rest, with keys the database never sees.

A sealed value is AES-256-GCM (the `cryptography` package's AEAD) under one of the data keys
in DATA_KEYS, laid out as

    version (1 byte) | key id (4 bytes) | nonce (12 bytes) | ciphertext and tag

The key id names the key that sealed it, so `campaign-engine keys rotate` can tell from a
value's first bytes whether it is still under an older key, and reseal only those. The
column's name is bound in as associated data: a value copied from one column into another
will not open. (Not the row: someone who can write to the database could swap two rows'
values. Sealing protects what is read from the database, its dumps and its backups.)
Nonces are random: at 2**32 values per key the chance of a repeat stays below 2**-32, and
rotating the key resets the count.

Equality lookups (is this address one of our supporters?) cannot read sealed values, so the
address also has a keyed hash, `lookup_key`, derived from SECRET_KEY: stable across data-key
rotations, useless without the secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
KEY_BYTES = 32
KEY_ID_BYTES = 4
NONCE_BYTES = 12
# Where the key id sits in a sealed value: after the version byte.
PREFIX_BYTES = len(VERSION) + KEY_ID_BYTES
TAG_BYTES = 16


class UnreadableValue(Exception):
    """A sealed value none of our keys opens: its key was dropped, or it was altered."""


def new_data_key() -> str:
    """A fresh key, spelt as DATA_KEYS expects (unpadded URL-safe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).rstrip(b"=").decode()


def parse_data_keys(text: str) -> tuple[bytes, ...]:
    """DATA_KEYS: keys separated by commas, the newest (the one that seals) first."""
    keys = []
    for spelt in (part.strip() for part in text.split(",")):
        if not spelt:
            continue
        try:
            key = base64.urlsafe_b64decode(spelt + "=" * (-len(spelt) % 4))
        except (binascii.Error, ValueError) as bad:
            raise ValueError("a data key is not URL-safe base64") from bad
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key must be {KEY_BYTES} bytes, not {len(key)}")
        keys.append(key)
    if not keys:
        raise ValueError("no data key given")
    if len(set(keys)) != len(keys):
        raise ValueError("a data key is listed twice")
    return tuple(keys)


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"campaign-engine data key id:" + key).digest()[:KEY_ID_BYTES]


class Sealer:
    """Seals with the first data key, opens with any of them; makes lookup keys."""

    def __init__(self, data_keys: Sequence[bytes], secret_key: str) -> None:
        if not data_keys:
            raise ValueError("a sealer needs at least one data key")
        self._ciphers = {key_id(key): AESGCM(key) for key in data_keys}
        if len(self._ciphers) != len(data_keys):  # two keys alike, or (1 in 2**32) their ids
            raise ValueError("two data keys share an id: make a new one")
        self.prefix = VERSION + key_id(data_keys[0])
        self._sealing = self._ciphers[key_id(data_keys[0])]
        # The label predates sealing, when only erasures kept this hash: theirs still match.
        self._lookup = hashlib.sha256(f"erased-address:{secret_key}".encode()).digest()
        self._domains = hashlib.sha256(f"email-domain:{secret_key}".encode()).digest()

    def seal(self, text: str, column: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return self.prefix + nonce + self._sealing.encrypt(nonce, text.encode(), column.encode())

    def seal_optional(self, text: str | None, column: str) -> bytes | None:
        return None if text is None else self.seal(text, column)

    def open(self, sealed: bytes, column: str) -> str:
        if (
            sealed[: len(VERSION)] != VERSION
            or len(sealed) < PREFIX_BYTES + NONCE_BYTES + TAG_BYTES
        ):
            raise UnreadableValue(f"{column}: not a sealed value")
        cipher = self._ciphers.get(bytes(sealed[len(VERSION) : PREFIX_BYTES]))
        if cipher is None:
            raise UnreadableValue(f"{column}: sealed under a key not in DATA_KEYS")
        nonce = sealed[PREFIX_BYTES : PREFIX_BYTES + NONCE_BYTES]
        try:
            plain = cipher.decrypt(nonce, sealed[PREFIX_BYTES + NONCE_BYTES :], column.encode())
        except InvalidTag as altered:
            raise UnreadableValue(f"{column}: altered, or sealed for another column") from altered
        return plain.decode()

    def open_optional(self, sealed: bytes | None, column: str) -> str | None:
        return None if sealed is None else self.open(sealed, column)

    def lookup_key(self, canonical_email: str) -> bytes:
        """The keyed hash that finds a supporter by address, and that an erasure keeps so a
        restored backup can be erased again: never enough to read the address."""
        return hmac.new(self._lookup, canonical_email.encode(), hashlib.sha256).digest()

    def domain_keys(self, domain: str) -> list[bytes]:
        """Keyed hashes of an email's domain and of each domain above it (not the bare top
        level): `mail.wave.example` gives those of `mail.wave.example` and `wave.example`, so
        signatures can be counted by domain, and taken back with their subdomains, without
        the domain (which may be one person's own) being kept."""
        labels = domain.split(".")
        above = [".".join(labels[i:]) for i in range(max(1, len(labels) - 1))]
        return [hmac.new(self._domains, d.encode(), hashlib.sha256).digest()[:16] for d in above]

    def is_current(self, sealed: bytes) -> bool:
        """Sealed under the sealing key (else `keys rotate` reseals it)."""
        return bytes(sealed[:PREFIX_BYTES]) == self.prefix

    def reseal(self, sealed: bytes, column: str) -> bytes:
        return self.seal(self.open(sealed, column), column)

    def key_ids(self) -> list[bytes]:
        """Every key's id, the sealing key's first."""
        return list(self._ciphers)
