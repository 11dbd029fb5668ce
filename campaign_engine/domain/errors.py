"""What can go wrong in a domain verb, named so the web layer can answer each one properly."""

from __future__ import annotations


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
