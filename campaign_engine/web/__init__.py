"""The HTTP layer: parse and validate, call one domain verb, render or redirect. No SQL here.
May import: domain/, models, messages, security, the shared root; of db/ its pool and outages."""
