"""The workspace's targets: the list, the form, imports, and which actions write to them.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
