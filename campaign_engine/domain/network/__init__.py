"""The Urgent Action Network: joining, preferences and leaving (docs/network.md).
May import: db/, models and the shared modules; never web/ or a framework."""
