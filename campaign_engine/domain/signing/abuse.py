"""Suspicion: which signatures we keep but do not believe yet (docs/abuse.md).

A suspected signature is stored, answered exactly like any other (the robot learns nothing,
reliability.md R7), and gets no confirmation email, so it is never confirmed or counted, unless
the same address signs the action again and nothing is suspicious that time (a person behind a
busy network, or whose browser failed the proof of work, tries again later and is believed).
Four things make a signature suspect: its client signed this action too often too fast, the
form's hidden field came back filled in, the address is at a disposable-mail domain, or the
action asks for a proof of work (proof_of_work.py) and none came. None refuses anybody.
"""

from __future__ import annotations

from dataclasses import dataclass

from disposable_email_domains import blocklist as DISPOSABLE_DOMAINS

from campaign_engine.models.signing import Suspicion


@dataclass(frozen=True)
class ClientLimits:
    """Signatures one client address makes on one action before the next is suspected; 0
    turns a limit off. A burst catches a script; the hour catches a patient one."""

    per_minute: int
    per_hour: int

    @property
    def on(self) -> bool:
        return bool(self.per_minute or self.per_hour)


NO_CLIENT_LIMITS = ClientLimits(0, 0)


def email_domain(canonical_email: str) -> str:
    return canonical_email.rpartition("@")[2]


def is_disposable(domain: str) -> bool:
    """The domain or any domain above it is on the list (mail.throwaway.example counts)."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in DISPOSABLE_DOMAINS for i in range(len(labels) - 1))


def suspicion_before_counting(
    *, domain: str, honeypot: bool, proof_of_work_missing: bool
) -> Suspicion | None:
    """Why a new signature is suspected, as far as can be told without counting its client's
    signatures; None leaves it to the count, which the signing statement makes under the
    client's lock (db/personal/supporters.py): a batch of signatures takes its locks
    together, and counts include suspected signatures, so a flood stays suspected for as long
    as it lasts."""
    if honeypot:
        return Suspicion.HONEYPOT
    if is_disposable(domain):
        return Suspicion.DISPOSABLE_DOMAIN
    # Last: a signature suspected for this alone still gets its confirmation, which then asks
    # for one deliberate step (domain/signing/signatures.py).
    if proof_of_work_missing:
        return Suspicion.PROOF_OF_WORK
    return None
