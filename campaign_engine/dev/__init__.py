"""Development on one machine: embedded PostgreSQL and Valkey, the mailbox, the demo content.
May import: anything; nothing of the product imports it but cli/ (and tests, bench, drill)."""
