"""Campaigners' passwords, hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameters: 64 MiB, three passes).

No composition rules, as ASVS 6.2.5 advises: length is what makes a password strong, and
people write long phrases more willingly than symbol puzzles.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12  # ASVS 6.2.1 asks for 8 and recommends 15; 12 is where typed phrases start
MAX_LENGTH = 256  # long enough for any passphrase or manager; argon2 takes any length

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    """Whether the password matches. Without a stored hash (no such account, or none chosen
    yet) a dummy is checked instead, so the answer takes as long either way."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True once the parameters above have grown past those the hash was made with."""
    return _hasher.check_needs_rehash(stored)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("the password of nobody at all")
