"""The workspace's people: campaigners' accounts, signing in and its throttle, roles, audit.
May import: db/, models and the shared modules; never web/ or a framework."""
