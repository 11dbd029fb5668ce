"""Integrations: partners and their widgets, API keys, the API's reads, webhooks, OSDI.
May import: db/, models and the shared modules; never web/ or a framework."""
