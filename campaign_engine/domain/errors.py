"""What can go wrong in a domain verb, named so the web layer can answer each one properly."""

from __future__ import annotations

from datetime import timedelta


class DomainError(Exception):
    pass


class ActionNotFound(DomainError):
    """No public action has this slug."""


class ActionClosed(DomainError):
    """The action exists but no longer takes signatures."""

    def __init__(self, slug: str) -> None:
        super().__init__(slug)
        self.slug = slug


class ActionRemoved(DomainError):
    """The action was taken down: it is gone everywhere."""


class CaseNotFound(DomainError):
    """No public case has this slug."""


class SignatureNotFound(DomainError):
    """The link names a signature we no longer hold, or one that cannot be confirmed."""


class SignInRefused(DomainError):
    """The address and password do not open an account (which of the two is never said)."""


class TooManyAttempts(DomainError):
    """Too many guesses at this account from this client lately (or, `everywhere`, at this
    account from anywhere): the next may come after `wait`."""

    def __init__(self, wait: timedelta, *, everywhere: bool = False) -> None:
        super().__init__(wait)
        self.wait = wait
        self.everywhere = everywhere


class WrongCode(DomainError):
    """The second factor's code is not the current one, or was used already. `which`: the
    code of the factor being replaced ("current") or of the new one ("new"), when it matters."""

    def __init__(self, which: str = "") -> None:
        super().__init__(which)
        self.which = which


class NeedsSignInLink(DomainError):
    """The password is right, but the account's role needs a second factor it does not have:
    only a sign-in link from an administrator may enrol one, never a password alone."""


class InvitationInvalid(DomainError):
    """The sign-in link is not one of ours, was used, or has expired."""


class PasswordRefused(DomainError):
    """The new password does not meet the rules; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "too_short", "too_long", "is_email", "current_wrong"


class NotAllowed(DomainError):
    """The campaigner's role does not allow this."""


class StaffNotFound(DomainError):
    """No account has this id."""


class StaffExists(DomainError):
    """An account already has this address."""


class LastOwner(DomainError):
    """The change would leave the workspace without an owner who can sign in."""
