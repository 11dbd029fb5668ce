"""Settings: read from the environment once, in an entry point, then passed down.

Nothing else in the code base reads `os.environ`. Every external address (database, Redis,
SMTP, Twilio) is a setting, so tests and development point them at local servers.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from campaign_engine.formats.countries import COUNTRY_CODES
from campaign_engine.security.sealing import Sealer, new_data_key, parse_data_keys

Environment = Literal["development", "test", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "production")

# The source tree: templates/, locales/ and static/ live beside the package.
SOURCE_HOME = Path(__file__).resolve().parent.parent

REQUIRED_IN_PRODUCTION = (
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_URL",
    "EMAIL_FROM",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
    "DATA_KEYS",
)
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 8


class SettingsError(Exception):
    """The environment does not describe a runnable service."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: what it is, and its default. `default` is the value used
    when it is unset (the code reads it from here, so the two cannot differ); `shown` is how
    the README names a default the code works out instead ("embedded", "generated")."""

    name: str
    help: str
    default: str = ""
    shown: str | None = None

    def readme_row(self) -> str:
        shown = self.shown if self.shown is not None else f"`{self.default}`" * bool(self.default)
        return f"| `{self.name}` | {shown} | {self.help} |"


DOCUMENTED: tuple[Setting, ...] = (
    Setting(
        "ENVIRONMENT",
        "`development`, `test` or `production`.",
        default="development",
    ),
    Setting(
        "DATABASE_URL",
        "PostgreSQL 15+ URL. Unset outside production: an embedded PostgreSQL under `DATA_DIR`.",
        shown="embedded",
    ),
    Setting(
        "REDIS_URL",
        "Redis/Valkey URL (`redis://`, `rediss://`, `unix://`). Unset outside "
        "production: an embedded Valkey under `DATA_DIR`.",
        shown="embedded",
    ),
    Setting(
        "SMTP_URL",
        "`smtp://user:password@host:587` (STARTTLS when offered; `?starttls=required` "
        "or `=no`) or `smtps://…:465`.",
        shown="development mailbox",
    ),
    Setting(
        "EMAIL_FROM",
        "Sender of every email; its domain also names Message-IDs.",
        default="Campaign Engine <noreply@localhost>",
    ),
    Setting(
        "ORGANISATION_NAME",
        'Who sends the appeals: they reach officials as "Li Wei via <organisation>".',
        shown="the name in `EMAIL_FROM`",
    ),
    Setting(
        "RELAY_EMAIL",
        "Where officials' replies go when an action hides supporters' addresses (the "
        "default); each appeal's Reply-To tags it `+<delivery id>`, so replies find "
        "their case. Route it to `/webhooks/email`.",
        shown="the address in `EMAIL_FROM`",
    ),
    Setting(
        "INBOUND_EMAIL_TOKEN",
        "Bearer token a mail provider uses to post raw replies and bounce reports to "
        "`/webhooks/email`. Unset: that endpoint refuses everything.",
    ),
    Setting(
        "TWILIO_ACCOUNT_SID",
        "Twilio account for SMS. Unset in development: texts go to `/dev/sms`; in "
        'production: they wait, marked "SMS is not configured".',
    ),
    Setting(
        "TWILIO_AUTH_TOKEN",
        "Twilio auth token; also verifies Twilio's webhooks.",
    ),
    Setting(
        "TWILIO_FROM",
        "Sender number or messaging service for SMS.",
    ),
    Setting(
        "TWILIO_API_BASE",
        "Twilio API base; tests point it at a local server.",
        default="https://api.twilio.com",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "Where supporters and campaigners reach the site; used in links inside emails. "
        "HTTPS in production. `make dev` sets it from `PORT`.",
        default="http://127.0.0.1:8000",
    ),
    Setting(
        "SECRET_KEY",
        "Signs links in emails, and keys the hashes that find a supporter by address, "
        "honour STOP and count clients: never change it once supporters have signed. At "
        "least 32 characters in production; development keeps one in "
        "`DATA_DIR/secret-key`.",
        shown="generated",
    ),
    Setting(
        "DATA_KEYS",
        "Seal supporters' addresses, names, phones and messages (and campaigners' "
        "second-factor secrets) at rest: comma-separated, the newest first; the first "
        "seals, all open. `campaign-engine keys new` makes one, `campaign-engine keys "
        "rotate` reseals everything under the first "
        "([docs/privacy.md](docs/privacy.md)). Development keeps one in "
        "`DATA_DIR/data-keys`.",
        shown="generated",
    ),
    Setting(
        "SIGNATURES_PER_CLIENT",
        "Load shedding, not fraud control: signatures the JSON API takes from one "
        "client address a minute across all actions, then 429 with `Retry-After`; `0` "
        "turns the limit off (the benchmark's stack does).",
        default="600",
    ),
    Setting(
        "MAX_IN_FLIGHT",
        "Requests one web process works on at once; one more is refused at once with 503 "
        "and `Retry-After` (pages held in memory and health checks never are); `0`: no limit.",
        default="100",
    ),
    Setting(
        "CLIENT_BURST_PER_ACTION",
        "Signatures one client address makes on one action within a minute before the "
        "rest are suspected: kept, answered exactly alike, never confirmed unless "
        "released ([docs/abuse.md](docs/abuse.md)); `0`: no limit.",
        default="10",
    ),
    Setting(
        "CLIENT_HOURLY_PER_ACTION",
        "The same within an hour; generous, since a carrier's NAT or an office puts "
        "many people behind one address; `0`: no limit.",
        default="60",
    ),
    Setting(
        "SMS_COUNTRIES",
        "Comma-separated ISO country codes whose numbers may be texted (e.g. "
        "`GB,FR,MX`); texts elsewhere fail without reaching Twilio. Premium-rate and "
        "other non-mobile numbers are never texted ([docs/abuse.md](docs/abuse.md)).",
        default="any",
    ),
    Setting(
        "SMS_PER_NUMBER_PER_DAY",
        "Texts one supporter's number may receive in a UTC day; more wait for the next day.",
        default="3",
    ),
    Setting(
        "SMS_DAILY_BUDGET",
        "Texts sent to supporters in a UTC day in all; more wait for the next day, and "
        "a warning is logged at 80 %. (Officials are held to their own pace instead.)",
        default="1000",
    ),
    Setting(
        "SAME_APPEALS_PER_DAY",
        "Appeals of one action an official receives in a UTC day, on one channel, with the "
        "same versions of the letter and no personal message; the rest go in one message at "
        "the day's end ([docs/letters.md](docs/letters.md)); `0`: no limit.",
        default="50",
    ),
    Setting(
        "RETENTION_DAYS",
        "Days after an action closes before its signatures are anonymised: who signed "
        "is forgotten, the counts stay ([docs/privacy.md](docs/privacy.md)).",
        default="180",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "Addresses whose `X-Forwarded-For` is believed; from anyone else the header is ignored.",
        default="127.0.0.1,::1",
    ),
    Setting(
        "DATA_DIR",
        "Local data of development: embedded servers, mailbox, secret.",
        shown="`.data` in the source tree",
    ),
    Setting(
        "CAMPAIGN_ENGINE_HOME",
        "Folder holding `templates/`, `locales/` and `static/` (the container sets `/app`).",
        shown="the source tree",
    ),
    Setting(
        "LOG_LEVEL",
        "Python logging level.",
        default="INFO",
    ),
)
DEFAULTS = {setting.name: setting.default for setting in DOCUMENTED}


def settings_table() -> str:
    """The README's table of settings, as this module defines them."""
    head = "| Name | Default | What it is |\n|---|---|---|\n"
    return head + "\n".join(setting.readme_row() for setting in DOCUMENTED) + "\n"


@dataclass(frozen=True)
class Settings:
    environment: Environment
    database_url: str | None
    redis_url: str | None
    smtp_url: str | None
    email_from: str
    organisation_name: str
    relay_email: str
    inbound_email_token: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    twilio_api_base: str
    public_base_url: str
    secret_key: str
    data_keys: tuple[bytes, ...]  # the first seals; all open (sealing.py)
    trusted_proxies: tuple[str, ...]
    signatures_per_client: int  # a minute, per client address; 0: no limit
    max_in_flight: int  # requests a web process works on at once; 0: no limit
    client_burst_per_action: int  # a minute, per client address and action; 0: no limit
    client_hourly_per_action: int  # an hour, per client address and action; 0: no limit
    retention_days: int  # after an action closes, before its signatures are anonymised
    sms_countries: frozenset[str]  # empty: any country
    sms_per_number_per_day: int
    sms_daily_budget: int
    same_appeals_per_day: int  # 0: no limit
    data_dir: Path
    home: Path
    log_level: str

    def sealer(self) -> Sealer:
        return Sealer(self.data_keys, self.secret_key)

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def templates_dir(self) -> Path:
        return self.home / "templates"

    @property
    def locales_dir(self) -> Path:
        return self.home / "locales"

    @property
    def static_dir(self) -> Path:
        return self.home / "static"

    @property
    def sends_sms(self) -> bool:
        """Twilio credentials are set: texts go to Twilio (else, in development, to /dev/sms)."""
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def smsbox_dir(self) -> Path:
        """Where development keeps the texts it would have sent."""
        return self.data_dir / "smsbox"

    @property
    def mailbox_dir(self) -> Path:
        """Where the development SMTP sink keeps what it caught (a Maildir)."""
        return self.data_dir / "mailbox"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str, default: str | None = None) -> str:
            """The variable, else `default` (a default the code works out), else the table's."""
            value = env.get(name, "").strip()
            return value or (DEFAULTS[name] if default is None else default)

        environment = get("ENVIRONMENT")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}")
        if environment == "production":
            # Production runs on nothing implicit: no embedded server, no mailbox, no default
            # sender or address that would put localhost links into real supporters' mail.
            missing = [name for name in REQUIRED_IN_PRODUCTION if not get(name, "")]
            if missing:
                raise SettingsError(f"production needs {', '.join(missing)} to be set")
        data_dir = Path(get("DATA_DIR", str(SOURCE_HOME / ".data"))).resolve()
        email_from = get("EMAIL_FROM")
        settings = cls(
            environment=environment,
            database_url=get("DATABASE_URL") or None,
            redis_url=get("REDIS_URL") or None,
            smtp_url=get("SMTP_URL") or None,
            email_from=email_from,
            organisation_name=get(
                "ORGANISATION_NAME", parseaddr(email_from)[0] or "Campaign Engine"
            ),
            relay_email=get("RELAY_EMAIL", parseaddr(email_from)[1]),
            inbound_email_token=get("INBOUND_EMAIL_TOKEN"),
            twilio_account_sid=get("TWILIO_ACCOUNT_SID"),
            twilio_auth_token=get("TWILIO_AUTH_TOKEN"),
            twilio_from=get("TWILIO_FROM"),
            twilio_api_base=get("TWILIO_API_BASE").rstrip("/"),
            public_base_url=get("PUBLIC_BASE_URL").rstrip("/"),
            secret_key=get("SECRET_KEY")
            or ("" if environment == "production" else development_secret(data_dir)),
            data_keys=_data_keys(get("DATA_KEYS") or development_data_key(data_dir)),
            trusted_proxies=tuple(
                p.strip() for p in get("TRUSTED_PROXIES").split(",") if p.strip()
            ),
            signatures_per_client=_whole_number(
                get("SIGNATURES_PER_CLIENT"), "SIGNATURES_PER_CLIENT"
            ),
            max_in_flight=_whole_number(get("MAX_IN_FLIGHT"), "MAX_IN_FLIGHT"),
            client_burst_per_action=_whole_number(
                get("CLIENT_BURST_PER_ACTION"), "CLIENT_BURST_PER_ACTION"
            ),
            client_hourly_per_action=_whole_number(
                get("CLIENT_HOURLY_PER_ACTION"), "CLIENT_HOURLY_PER_ACTION"
            ),
            retention_days=_whole_number(get("RETENTION_DAYS"), "RETENTION_DAYS"),
            sms_countries=_countries(get("SMS_COUNTRIES")),
            sms_per_number_per_day=_whole_number(
                get("SMS_PER_NUMBER_PER_DAY"), "SMS_PER_NUMBER_PER_DAY"
            ),
            sms_daily_budget=_whole_number(get("SMS_DAILY_BUDGET"), "SMS_DAILY_BUDGET"),
            same_appeals_per_day=_whole_number(get("SAME_APPEALS_PER_DAY"), "SAME_APPEALS_PER_DAY"),
            data_dir=data_dir,
            home=Path(get("CAMPAIGN_ENGINE_HOME", str(SOURCE_HOME))).resolve(),
            log_level=get("LOG_LEVEL").upper(),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse a guessable secret, or links and session cookies over plain HTTP, in
        production."""
        if self.environment != "production":
            return
        if not self.public_base_url.startswith("https://"):
            raise SettingsError("PUBLIC_BASE_URL must start with https:// in production")
        if len(self.secret_key) < MIN_SECRET_LENGTH:
            raise SettingsError(f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters")
        if len(set(self.secret_key)) < MIN_SECRET_DISTINCT_CHARACTERS:  # "aaaa…" is no secret
            raise SettingsError("SECRET_KEY looks like a placeholder, not a random secret")


def development_secret(data_dir: Path) -> str:
    """A secret kept under the data folder, so links in caught mail survive a restart."""
    return _kept(data_dir / "secret-key", lambda: secrets.token_urlsafe(48))


def development_data_key(data_dir: Path) -> str:
    """A data key kept under the data folder, beside (never inside) the embedded database."""
    return _kept(data_dir / "data-keys", new_data_key)


def _kept(path: Path, make: Callable[[], str]) -> str:
    """The value in `path`, made and written (readable by its owner only) if there is none.
    Two processes starting at once on a fresh folder (`serve` and `worker`) must end up with
    the same value: each writes its own file, and only the first one linked into place counts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
        draft.touch(mode=0o600)
        draft.write_text(make())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def _data_keys(text: str) -> tuple[bytes, ...]:
    try:
        return parse_data_keys(text)
    except ValueError as bad:
        raise SettingsError(f"DATA_KEYS: {bad}") from bad


def _countries(text: str) -> frozenset[str]:
    if text.strip().lower() == "any":
        return frozenset()
    codes = frozenset(code.strip().upper() for code in text.split(",") if code.strip())
    unknown = sorted(code for code in codes if code not in COUNTRY_CODES)
    if unknown or not codes:
        named = ", ".join(unknown) or "none"
        raise SettingsError(f"SMS_COUNTRIES must be `any` or country codes like GB,FR ({named}?)")
    return codes


def _whole_number(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise SettingsError(f"{name} must be a whole number, 0 or more")
    return int(text)
