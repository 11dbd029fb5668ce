"""Privacy: supporters' rights (export, erasure), retention, the rotation of data keys.
May import: db/, models and the shared modules; never web/ or a framework."""
