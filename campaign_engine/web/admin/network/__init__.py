"""The workspace's side of the Urgent Action Network: who is in it and what they chose.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
