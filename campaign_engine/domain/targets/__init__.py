"""Targets: the officials appeals go to, their addresses, fields, imports and office hours.
May import: db/, models and the shared modules; never web/ or a framework."""
