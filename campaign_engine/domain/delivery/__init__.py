"""Delivery: every message that leaves, its outbox, pacing, budgets, and what comes back.
May import: db/, models and the shared modules; never web/ or a framework."""
