"""Outbound adapters. Leaves: they know how to hand a message to a provider, and nothing about
campaigns. Each answers with a `SendResult` saying what the caller should do next.
May import: models, settings, messages' wire formats and the providers' libraries; never domain/,
db/ or web/."""
