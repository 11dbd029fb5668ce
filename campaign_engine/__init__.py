"""campaign-engine: urgent actions for people at risk, in many languages. The root keeps what
every layer shares (app, cli/, settings, i18n, templating, clock, jobs, links).
May import: nothing."""

__version__ = "0.1.0"
