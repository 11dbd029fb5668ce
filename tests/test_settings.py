"""Settings come from the environment, and production refuses to run on defaults."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from campaign_engine.settings import (
    DOCUMENTED,
    REQUIRED_IN_PRODUCTION,
    SOURCE_HOME,
    Settings,
    SettingsError,
    development_data_key,
    settings_table,
)

PRODUCTION = {
    "ENVIRONMENT": "production",
    "DATABASE_URL": "postgresql://campaign@db.internal/campaign",
    "REDIS_URL": "rediss://queue.internal:6380/0",
    "SMTP_URL": "smtps://mailer:pw@smtp.example.org:465",
    "EMAIL_FROM": "Urgent Actions <actions@example.org>",
    "PUBLIC_BASE_URL": "https://act.example.org",
    "SECRET_KEY": "Zx8-w2Lq9vT4pN7rK1mB6cY3hF0dS5gJ8aE2uW9iO4",
    "DATA_KEYS": "Jm2VZt6bq1m7M7WqKp0F5S7J1yQe8h4wYd9xUe3RrQ0",
}


def test_production_starts_with_everything_set() -> None:
    settings = Settings.from_environ(PRODUCTION)
    assert settings.environment == "production"
    assert settings.public_base_url == "https://act.example.org"


@pytest.mark.parametrize("name", REQUIRED_IN_PRODUCTION)
def test_production_refuses_to_start_without(name: str) -> None:
    environ = {key: value for key, value in PRODUCTION.items() if key != name}
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ(environ)


@pytest.mark.parametrize("secret", ["short", "a" * 64, "changeme" * 5])
def test_production_refuses_a_weak_secret(secret: str) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        Settings.from_environ({**PRODUCTION, "SECRET_KEY": secret})


def test_production_refuses_plain_http_links() -> None:
    with pytest.raises(SettingsError, match="https"):
        Settings.from_environ({**PRODUCTION, "PUBLIC_BASE_URL": "http://act.example.org"})


def test_development_defaults_to_embedded_servers_and_keeps_its_secret(tmp_path: Path) -> None:
    first = Settings.from_environ({"DATA_DIR": str(tmp_path)})
    assert first.environment == "development"
    assert first.database_url is None
    assert first.redis_url is None
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret-key").stat().st_mode & 0o077 == 0, "readable by its owner only"
    assert Settings.from_environ({"DATA_DIR": str(tmp_path)}).secret_key == first.secret_key
    assert (tmp_path / "data-keys").stat().st_mode & 0o077 == 0
    assert Settings.from_environ({"DATA_DIR": str(tmp_path)}).data_keys == first.data_keys


def test_processes_starting_together_on_a_fresh_folder_share_one_data_key(tmp_path: Path) -> None:
    """`serve` and `worker` started at once must not each seal with a key of their own."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: development_data_key(tmp_path), range(32)))
    assert len(set(keys)) == 1
    assert [path.name for path in tmp_path.iterdir()] == ["data-keys"], "no draft left behind"


@pytest.mark.parametrize(
    "keys",
    ["not base64 at all!", "c2hvcnQ", "Jm2VZt6bq1m7M7WqKp0F5S7J1yQe8h4wYd9xUe3RrQ0," * 2, ","],
)
def test_data_keys_that_could_not_seal_are_refused(keys: str) -> None:
    with pytest.raises(SettingsError, match="DATA_KEYS"):
        Settings.from_environ({**PRODUCTION, "DATA_KEYS": keys})


def test_an_unknown_environment_is_refused() -> None:
    with pytest.raises(SettingsError, match="ENVIRONMENT"):
        Settings.from_environ({"ENVIRONMENT": "staging"})


def test_the_signature_limit_is_a_whole_number() -> None:
    assert Settings.from_environ({"SIGNATURES_PER_CLIENT": "0"}).signatures_per_client == 0
    with pytest.raises(SettingsError, match="SIGNATURES_PER_CLIENT"):
        Settings.from_environ({"SIGNATURES_PER_CLIENT": "lots"})


def test_the_readmes_table_of_settings_is_the_one_the_code_reads() -> None:
    """One table (settings.DOCUMENTED) gives each setting's default to the code and its row to
    the README: `campaign-engine settings` prints the rows to paste when one changes."""
    readme = (SOURCE_HOME / "README.md").read_text()
    assert settings_table() in readme


def test_a_setting_left_unset_takes_the_default_the_readme_shows(tmp_path: Path) -> None:
    settings = Settings.from_environ({"ENVIRONMENT": "test", "DATA_DIR": str(tmp_path)})
    shown = {setting.name: setting.default for setting in DOCUMENTED if setting.default}
    assert str(settings.signatures_per_client) == shown["SIGNATURES_PER_CLIENT"]
    assert str(settings.retention_days) == shown["RETENTION_DAYS"]
    assert ",".join(settings.trusted_proxies) == shown["TRUSTED_PROXIES"]
    assert settings.twilio_api_base == shown["TWILIO_API_BASE"]
