"""No name, email address or phone number in the logs, whatever happens on the way."""

from __future__ import annotations

import logging

import httpx
import pytest

from campaign_engine.db.pool import Pool
from campaign_engine.web.middleware import redacted_path
from tests.conftest import Drain
from tests.factories import confirmation_path, make_action, unique_email
from tests.smtp import RecordingHandler

# The test's own SMTP server and HTTP client log what they see; they are not the product.
NOT_THE_PRODUCT = {"mail.log", "httpx"}


async def test_a_whole_journey_logs_nothing_personal(
    client: httpx.AsyncClient,
    pool: Pool,
    smtp: RecordingHandler,
    drain: Drain,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    slug = await make_action(pool)
    email, name, phone = unique_email("canary"), "Canary Birdsong", "+33612345678"
    smtp.script.append("451 4.3.0 Try later")  # a retry, so the failure paths log too
    fields = {"name": name, "email": email, "country": "FR", "phone": phone, "comment": name}
    await client.post(f"/fr/actions/{slug}/sign", data={**fields, "phone": "0612345678"})
    await client.post(f"/fr/actions/{slug}/sign", data={**fields, "email": "broken@"})
    await client.post(f"/api/v1/actions/{slug}/signatures", json=fields)
    await drain()
    confirm = confirmation_path(smtp.to(email)[0])
    await client.get(confirm)

    ours = [record for record in caplog.records if record.name not in NOT_THE_PRODUCT]
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in ours).lower()
    assert "confirm/…" in logged or "/confirm/" not in logged, "the token is cut from paths"
    assert confirm.rsplit("/", 1)[1].lower() not in logged
    for secret in (email, "canary", "birdsong", phone, "612345678", "broken@"):
        assert secret.lower() not in logged, f"{secret!r} reached the logs"
    assert any("send_deliveries" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "path",
    [
        "/confirm/SECRET-TOKEN",
        "/network/SECRET-TOKEN",
        "/network/SECRET-TOKEN/leave",
        "/act/SECRET-TOKEN",
        "/not-me/SECRET-TOKEN",
        "/unsubscribe/SECRET-TOKEN",
        "/privacy/SECRET-TOKEN/data.json",
    ],
)
def test_every_link_that_carries_a_secret_is_logged_without_it(path: str) -> None:
    logged = redacted_path(path)
    assert "SECRET" not in logged
    assert logged.startswith("/" + path.split("/")[1] + "/…")


async def test_a_path_cannot_forge_a_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="campaign_engine.access")
    await client.get("/en/actions/x%0aGET%20/admin%20200")
    lines = [r.getMessage() for r in caplog.records if r.name == "campaign_engine.access"]
    [line] = lines
    assert line.startswith("GET /en/actions/x\\x0aGET /admin 200 404 ")
    assert "\n" not in line
