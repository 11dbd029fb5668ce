"""`campaign-engine serve --workers N` as production runs it: its process becomes a lean
supervisor (web/serving.py) that does not load the application beside the web processes,
which each build their own; it answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from campaign_engine.bench.stack import children_of, memory_mib
from campaign_engine.dev.mailbox import free_port
from campaign_engine.settings import Settings
from tests.conftest import served_environ, wait_until_ready


@pytest.mark.slow
def test_several_web_processes_answer_under_a_supervisor_that_holds_no_app(
    settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own command, no shell
        [sys.executable, "-m", "campaign_engine", "serve", "--port", str(port), "--workers", "2"],
        env=served_environ(settings, base, tmp_path),
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_ready(base, process, "serve")
        assert httpx.get(f"{base}/healthz").status_code == 200
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"campaign_engine.web.serving" in command, "the same process, now the supervisor"
        web = [pid for pid in children_of(process.pid) if memory_mib(pid) > memory_mib(process.pid)]
        assert len(web) == 2, "two web processes, each heavier than their supervisor"
    finally:
        process.send_signal(signal.SIGTERM)
        _out, errors = process.communicate(timeout=30)
    assert process.returncode == 0, errors.decode()[-2000:]
    assert b"Traceback" not in errors
