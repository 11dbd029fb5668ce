"""The workspace's partners, API keys and webhooks.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
