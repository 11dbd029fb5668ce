"""The workspace's view of abuse: suspicion, trends and invalidations.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
