"""The workspace's cases, actions, their translations and updates, dashboards and exports.
May import: domain/, models, web/admin's guard, forms and rendering; never db/."""
