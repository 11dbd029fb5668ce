"""Campaigners: signing in, their account, the team and the audit log.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
