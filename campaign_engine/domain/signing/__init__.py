"""Signing: supporters, signatures, consents, the count, and what guards it (suspicion).
May import: db/, models and the shared modules; never web/ or a framework."""
