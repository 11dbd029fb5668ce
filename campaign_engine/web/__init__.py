"""The HTTP layer: parse and validate, call one domain verb, render or redirect. No SQL here."""
