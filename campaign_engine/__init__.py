"""campaign-engine: urgent actions for people at risk, in many languages."""

__version__ = "0.1.0"
