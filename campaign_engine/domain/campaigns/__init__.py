"""Campaigns: cases and their timelines, actions, updates, an action's dashboard and exports.
May import: db/, models and the shared modules; never web/ or a framework."""
