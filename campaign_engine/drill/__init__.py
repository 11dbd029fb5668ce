"""The fault drill, `campaign-engine drill`: faults inflicted on stacks of its own (the worker
killed, Valkey killed, PostgreSQL stopped, the SMTP server gone) and what each cost, counted
at the recipients' side (docs/operations.md, "The fault drill").

Like bench/, it drives the product from outside: it starts the product's own `serve` and
`worker` commands as processes, and reads and writes the database only to set up its data
and count. It holds the stand-ins the tests share with it (a Valkey that can be killed, a
PostgreSQL that can be stopped, Twilio's Messages API).

May import: anything of the product and bench/; only cli/ (and the tests) import it.
"""
