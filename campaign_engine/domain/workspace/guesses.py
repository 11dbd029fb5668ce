"""How often someone may guess at a campaigner's secret (a password, a second factor's code).

A lock on the account's door hurts the owner as much as the thief: ten wrong passwords from
one café must not keep the real owner out from everywhere. So guesses are slowed per (account,
client): a few are free, then each next one waits twice as long as the last (1 s, 2 s, 4 s …
up to a quarter of an hour). One client retrying as fast as it is allowed makes fewer guesses
in an hour than the account's ceiling, which only many clients together reach, and which then
closes the account to everyone for the rest of the hour (the owner asks an administrator).
Each client also has a ceiling of its own, for many accounts tried from one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from campaign_engine.clock import Clock
from campaign_engine.db.pool import Pool
from campaign_engine.db.workspace import guesses as attempts
from campaign_engine.domain.errors import TooManyAttempts
from campaign_engine.security.tokens import Tokens

WINDOW = timedelta(hours=1)  # the ceilings count this far back
PAIR_MEMORY = timedelta(days=1)  # the delays count this far back (attempts are kept a day)
LONGEST_DELAY = timedelta(minutes=15)


@dataclass(frozen=True)
class GuessPolicy:
    free: int  # guesses from one client at one account before the delays begin
    account_ceiling: int  # guesses per hour at one account, from all clients together
    client_ceiling: int  # guesses per hour from one client, at all accounts together

    def delay_after(self, guesses: int) -> timedelta:
        """How long a client waits after its `guesses`-th guess at one account."""
        if guesses < self.free:
            return timedelta(0)
        doubling = min(guesses - self.free, 20)  # 2**20 s is far past the longest delay
        return min(LONGEST_DELAY, timedelta(seconds=2**doubling))

    def most_in_an_hour(self) -> int:
        """What one client retrying as soon as it may reaches in an hour: under the account's
        ceiling, so one client alone never closes the account."""
        guesses, elapsed = 0, timedelta(0)
        while elapsed <= WINDOW:
            guesses += 1
            elapsed += self.delay_after(guesses)
        return guesses


# A password: an office behind one address signs in often, so its own ceiling is loose.
PASSWORDS = GuessPolicy(free=5, account_ceiling=50, client_ceiling=100)
# A six-digit code: the thief already has the password, so fewer guesses, and a lower ceiling
# (20 an hour at a code the drift window makes three codes wide: 1 in 16,000 a day).
CODES = GuessPolicy(free=3, account_ceiling=20, client_ceiling=100)


@dataclass(frozen=True)
class Guesser:
    """Who guesses at what, as the throttle counts them: keyed hashes, never the address."""

    account_key: bytes
    client_key: bytes | None


def password_guesser(tokens: Tokens, email: str, client: str | None) -> Guesser:
    """Guesses at the password of an address (whether or not an account has it)."""
    return Guesser(tokens.account_key(email), _client_key(tokens, client))


def code_guesser(tokens: Tokens, staff_id: int, client: str | None) -> Guesser:
    """Guesses at an account's second factor, wherever they are typed."""
    return Guesser(tokens.account_key(f"second-factor:{staff_id}"), _client_key(tokens, client))


def _client_key(tokens: Tokens, client: str | None) -> bytes | None:
    return tokens.client_key(client) if client else None


async def count_guess(pool: Pool, clock: Clock, policy: GuessPolicy, guesser: Guesser) -> None:
    """Let this guess be made and count it, or refuse it with how long to wait. The guess is
    counted before it is checked, so parallel guesses cannot slip past; a right one is
    forgiven afterwards (`forgive`)."""
    now, account_key, client_key = clock.now(), guesser.account_key, guesser.client_key
    async with pool.acquire() as conn, conn.transaction():
        await attempts.lock_account(conn, account_key)
        seen = await attempts.count_guesses(
            conn, account_key, client_key, now - WINDOW, now - PAIR_MEMORY
        )
        if seen.by_account >= policy.account_ceiling:
            raise TooManyAttempts(WINDOW, everywhere=True)
        if client_key is not None and seen.by_client >= policy.client_ceiling:
            raise TooManyAttempts(WINDOW)
        if seen.pair_last is not None:
            wait = seen.pair_last + policy.delay_after(seen.by_pair) - now
            if wait > timedelta(0):
                raise TooManyAttempts(wait)
        await attempts.insert_attempt(conn, account_key, client_key, now)


async def forgive(pool: Pool, guesser: Guesser) -> None:
    """A right guess: this client's mistakes at this account stop counting."""
    async with pool.acquire() as conn:
        await attempts.forget_pair(conn, guesser.account_key, guesser.client_key)


def whole_seconds(wait: timedelta) -> int:
    """A wait as `Retry-After` says it: whole seconds, rounded up, at least one."""
    return max(1, math.ceil(wait.total_seconds()))
