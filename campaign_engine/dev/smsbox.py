"""The development text box read back for /dev/sms: what `senders.sms.DevSmsBox` wrote, one
JSON file per text. Apart from the sender, so the web process does not load Twilio's client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_smsbox(folder: Path, limit: int = 200) -> list[dict[str, Any]]:
    """What the development box caught, newest first."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.json"), reverse=True)[:limit]
    return [json.loads(path.read_text()) for path in paths]
