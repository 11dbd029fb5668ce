"""Who a supporter is: one person per canonical email address."""

from __future__ import annotations

# Providers that define their own address equivalences: Gmail ignores dots in the local part
# and delivers `name+anything` to `name`, and googlemail.com is gmail.com. Other providers
# define nothing we can rely on, so for them we only fold case.
_GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def canonical_email(email: str) -> str:
    """The one spelling of an address we deduplicate on.

    Lower-cased and trimmed everywhere; beyond that we fold only what the provider itself
    defines as the same mailbox, so two people are never merged by a guess.
    """
    local, _at, domain = email.strip().lower().rpartition("@")
    if domain in _GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"
