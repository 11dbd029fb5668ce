"""The `campaign-engine` command: each module adds its commands to the group in common.py.
May import anything: nothing imports it but the entry point and __main__."""

from campaign_engine.cli import measuring, operations, running, translation
from campaign_engine.cli.common import main

__all__ = ["main", "measuring", "operations", "running", "translation"]
