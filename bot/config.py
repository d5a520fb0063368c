"""Configuration from environment variables and an optional ``.env`` file.

Every setting has a sensible default so that ``votebot chat`` runs with no configuration at all
(SQLite at ``db/votebot.sqlite3``, the bundled content, Indonesian by default).
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot import ROOT

if TYPE_CHECKING:
    from bot.core.events import UserRef

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///db/votebot.sqlite3"
#: The simulator's own database: ``votebot chat`` and every ``--sandbox`` command use it.
DEFAULT_SANDBOX_DATABASE_URL = "sqlite+aiosqlite:///db/sandbox.sqlite3"
#: The Graph API base URL with its version (v26.0 is the newest documented version).
DEFAULT_WHATSAPP_API_URL = "https://graph.facebook.com/v26.0"
DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"

#: A token from @BotFather: the bot's numeric id, a colon, then letters, digits, ``_`` and ``-``.
_TELEGRAM_TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
#: Telegram accepts 1-256 characters of A-Z, a-z, 0-9, ``_`` and ``-`` as a webhook secret.
_WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")

_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}
_SUPPORTED_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


class ConfigError(Exception):
    """A configuration value is invalid; the message is one line naming the variable."""


def normalise_database_url(raw: str) -> str:
    """Return an async SQLAlchemy URL; relative SQLite paths resolve against the project root."""
    try:
        url: URL = make_url(raw)
    except ArgumentError as exc:
        raise ValueError(f"not a database URL: {exc}") from None
    driver = _DRIVER_ALIASES.get(url.drivername, url.drivername)
    if driver not in _SUPPORTED_DRIVERS:
        raise ValueError(
            f"unsupported driver {url.drivername!r}; use sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER@HOST/DB"
        )
    url = url.set(drivername=driver)
    if driver.startswith("sqlite") and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.is_absolute():
            path = ROOT / path
        url = url.set(database=str(path))
    return url.render_as_string(hide_password=False)


def parse_quiet_hours(value: str) -> tuple[int, int] | None:
    """``"21-6"`` → ``(21, 6)`` (start and end hour, local time); ``"off"`` → None."""
    text = value.strip().lower()
    if text in ("", "off", "none", "0"):
        return None
    match = re.fullmatch(r"(\d{1,2})\s*-\s*(\d{1,2})", text)
    if match is None or not all(0 <= int(h) <= 23 for h in match.groups()):
        raise ValueError("use START-END in whole hours 0-23, e.g. 21-6, or off")
    start, end = int(match.group(1)), int(match.group(2))
    return None if start == end else (start, end)


class Settings(BaseSettings):
    """All settings. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=(ROOT / ".env", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    database_url: str = Field(DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    #: The simulator's database, kept apart from the real one (``votebot chat``, ``--sandbox``).
    sandbox_database_url: str = Field(
        DEFAULT_SANDBOX_DATABASE_URL, validation_alias="VOTEBOT_SANDBOX_DATABASE_URL"
    )
    #: Work on the sandbox: its database, and simulator users count in segments and reports.
    sandbox: bool = Field(False, validation_alias="VOTEBOT_SANDBOX")
    default_locale: str = Field("id", validation_alias="VOTEBOT_DEFAULT_LOCALE")
    content_dir: Path = Field(ROOT / "content", validation_alias="VOTEBOT_CONTENT_DIR")
    locales_dir: Path = Field(ROOT / "locales", validation_alias="VOTEBOT_LOCALES_DIR")
    secret_key: SecretStr | None = Field(None, validation_alias="VOTEBOT_SECRET_KEY")
    admin_token: SecretStr | None = Field(None, validation_alias="VOTEBOT_ADMIN_TOKEN")
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "VOTEBOT_LOG_LEVEL"))
    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(8080, ge=1, le=65535, validation_alias="PORT")
    whatsapp_token: SecretStr | None = Field(None, validation_alias="WHATSAPP_TOKEN")
    whatsapp_phone_number_id: str | None = Field(None, validation_alias="WHATSAPP_PHONE_NUMBER_ID")
    whatsapp_app_secret: SecretStr | None = Field(None, validation_alias="WHATSAPP_APP_SECRET")
    whatsapp_verify_token: SecretStr | None = Field(None, validation_alias="WHATSAPP_VERIFY_TOKEN")
    whatsapp_api_url: str = Field(DEFAULT_WHATSAPP_API_URL, validation_alias="WHATSAPP_API_URL")
    #: The WhatsApp number's messaging tier: unique users it may message first in 24 hours.
    whatsapp_tier: Literal["1000", "10000", "100000", "unlimited"] = Field(
        "1000", validation_alias="WHATSAPP_TIER"
    )
    #: Inbound messages handled at once per process (0: the database pool's size).
    inbound_concurrency: int = Field(
        0, ge=0, le=1000, validation_alias="VOTEBOT_INBOUND_CONCURRENCY"
    )
    #: Seconds a webhook waits for a free slot before answering 503 (the platform retries).
    inbound_wait: float = Field(15.0, gt=0, le=300, validation_alias="VOTEBOT_INBOUND_WAIT")
    #: Seconds a worker may take to deliver a handled message's replies before a redelivery
    #: of that message takes the delivery over (the worker is presumed dead).
    inbound_lease: float = Field(120.0, gt=0, le=3600, validation_alias="VOTEBOT_INBOUND_LEASE")
    #: WhatsApp messages older than this many seconds are acknowledged but not handled (replays).
    inbound_max_age: float = Field(
        86_400.0, gt=0, le=8 * 86_400, validation_alias="VOTEBOT_INBOUND_MAX_AGE"
    )
    #: Where admins get new reports, as ``CHANNEL:ID`` (e.g. ``telegram:-1001234``).
    admin_chat_id: str | None = Field(None, validation_alias="ADMIN_CHAT_ID")
    #: The Telegram bot's username, for personal ``t.me`` deep links (e.g. TemanPemilihBot).
    telegram_bot_username: str | None = Field(None, validation_alias="TELEGRAM_BOT_USERNAME")
    #: The bot's public WhatsApp number (digits with the country code), for ``wa.me`` links.
    whatsapp_number: str | None = Field(None, validation_alias="WHATSAPP_NUMBER")

    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(DEFAULT_TELEGRAM_API_URL, validation_alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(
        None, validation_alias="TELEGRAM_WEBHOOK_SECRET", validate_default=True
    )
    telegram_max_connections: int = Field(
        40, ge=1, le=100, validation_alias="TELEGRAM_MAX_CONNECTIONS"
    )
    #: Show quiz questions as Telegram's native quiz polls instead of inline buttons.
    telegram_quiz_polls: bool = Field(False, validation_alias="TELEGRAM_QUIZ_POLLS")

    #: ``CHANNEL:ID`` list given the admin role at start-up.
    admins: str = Field("", validation_alias="VOTEBOT_ADMINS")
    #: Two-person rule: a volunteer's broadcast waits for an admin's approval.
    broadcast_approval: bool = Field(False, validation_alias="VOTEBOT_BROADCAST_APPROVAL")
    #: ``START-END`` hours (recipient's local time) when no broadcast is delivered, or ``off``.
    quiet_hours: str = Field("21-6", validation_alias="VOTEBOT_QUIET_HOURS")
    #: Messages per second per channel (the platform's limit; the engine keeps a little headroom).
    rate_telegram: float = Field(30.0, gt=0, le=10_000, validation_alias="VOTEBOT_RATE_TELEGRAM")
    rate_telegram_per_chat: float = Field(
        1.0, gt=0, le=100, validation_alias="VOTEBOT_RATE_TELEGRAM_PER_CHAT"
    )
    rate_whatsapp: float = Field(80.0, gt=0, le=10_000, validation_alias="VOTEBOT_RATE_WHATSAPP")

    #: Serve ``/metrics`` without authentication (e.g. to a Prometheus on a private network).
    metrics_public: bool = Field(False, validation_alias="VOTEBOT_METRICS_PUBLIC")
    #: Trust ``X-Forwarded-Proto``/``X-Forwarded-For`` from the reverse proxy in front of us.
    trust_proxy: bool = Field(False, validation_alias="VOTEBOT_TRUST_PROXY")
    #: Engagement-log rows older than this many days are anonymised (their user link removed).
    log_retention_days: int = Field(
        730, ge=30, le=36_500, validation_alias="VOTEBOT_LOG_RETENTION_DAYS"
    )
    #: Who runs this bot and how to reach them, shown in the privacy notice (``/privasi``).
    operator: str = Field("", max_length=200, validation_alias="VOTEBOT_OPERATOR")
    #: Hold broadcasts during an election's quiet period (masa tenang) from the calendar.
    quiet_period_hold: bool = Field(False, validation_alias="VOTEBOT_QUIET_PERIOD_HOLD")
    #: Hours after its start (``--at``, else its creation) a broadcast expires unless given
    #: its own expiry; rows not sent by then are skipped as ``expired``.
    broadcast_ttl_hours: float = Field(
        72.0, gt=0, le=24 * 365, validation_alias="VOTEBOT_BROADCAST_TTL_HOURS"
    )
    #: Fraction of each platform's rate the fleet's broadcast sender leaves for conversation
    #: replies (which every worker sends inline, within its share of what is left).
    conversation_reserve: float = Field(
        0.1, ge=0, lt=1, validation_alias="VOTEBOT_CONVERSATION_RESERVE"
    )

    #: The public base URL of this server (e.g. ``https://bot.example.org``): poll messages link
    #: to its results page, experiment link buttons go through its ``/r/<token>`` redirect (which
    #: records the tap). Unset: no results link, and link outcomes are marked unavailable.
    public_url: str | None = Field(None, max_length=300, validation_alias="VOTEBOT_PUBLIC_URL")

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value.strip()):
            raise ValueError("must be an http(s) URL, e.g. https://bot.example.org")
        return value.strip().rstrip("/")

    @field_validator("database_url", "sandbox_database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @model_validator(mode="after")
    def _use_sandbox(self) -> Settings:
        if self.sandbox:
            self.database_url = self.sandbox_database_url
        return self

    @field_validator("whatsapp_number")
    @classmethod
    def _check_whatsapp_number(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        digits = re.sub(r"[\s()+-]", "", value.strip())
        if digits.startswith("0"):
            raise ValueError("write it with the country code, e.g. 6281234567890 (not 0812…)")
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise ValueError("must be a phone number with its country code, e.g. 6281234567890")
        return digits

    @field_validator("content_dir", "locales_dir")
    @classmethod
    def _check_dir(cls, value: Path) -> Path:
        path = value if value.is_absolute() else (Path.cwd() / value)
        if not path.is_dir():
            raise ValueError(f"{value} is not a directory")
        return path.resolve()

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("use one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("secret_key")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (or unset, to generate one)")
        return value

    @field_validator("admin_chat_id")
    @classmethod
    def _check_admin_chat(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from bot.core.events import UserRef

        return str(UserRef.parse(value))

    @field_validator("telegram_bot_username")
    @classmethod
    def _check_bot_username(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        name = value.strip().removeprefix("@")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", name):
            raise ValueError("must be a Telegram bot username: 4-32 letters, digits or underscores")
        return name

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _check_telegram_token(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        token = str(value).strip()
        if not _TELEGRAM_TOKEN_RE.match(token):
            # Never echo the value: it may be a real token pasted with a typo.
            raise ValueError("does not look like a token from @BotFather (123456789:ABC…)")
        return token

    @field_validator("telegram_api_url")
    @classmethod
    def _check_telegram_api_url(cls, value: str) -> str:
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
        return value

    @field_validator("telegram_webhook_url", mode="before")
    @classmethod
    def _check_telegram_webhook_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        value = str(value).strip()
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.netloc:
            raise ValueError(
                "must be the public https:// URL Telegram posts updates to "
                "(e.g. https://bot.example.org/telegram)"
            )
        return value

    @field_validator("telegram_webhook_secret", mode="before")
    @classmethod
    def _check_telegram_webhook_secret(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None and not str(value).strip():
            value = None
        if value is None:
            if info.data.get("telegram_webhook_url"):
                raise ValueError(
                    "required when TELEGRAM_WEBHOOK_URL is set (16-256 characters of "
                    "A-Z, a-z, 0-9, _ and -; e.g. from `openssl rand -hex 32`)"
                )
            return None
        secret = str(value).strip()
        if not _WEBHOOK_SECRET_RE.match(secret):
            raise ValueError("use 16-256 characters of A-Z, a-z, 0-9, _ and - only")
        return secret

    @field_validator("telegram_quiz_polls", mode="before")
    @classmethod
    def _check_quiz_polls(cls, value: Any) -> Any:
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("1", "true", "yes", "on"):
                return True
            if word in ("", "0", "false", "no", "off"):
                return False
            raise ValueError(f"must be 1 (on) or 0 (off), got {value!r}")
        return value

    @field_validator("admin_token")
    @classmethod
    def _check_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (e.g. `openssl rand -hex 24`)")
        return value

    @field_validator("default_locale")
    @classmethod
    def _check_locale_shape(cls, value: str) -> str:
        return value.strip()

    @field_validator("whatsapp_token", "whatsapp_app_secret", "whatsapp_verify_token")
    @classmethod
    def _check_whatsapp_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if any(c.isspace() for c in value.get_secret_value().strip()):
            raise ValueError("must not contain spaces")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("whatsapp_phone_number_id")
    @classmethod
    def _check_phone_number_id(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise ValueError(
                "must be the numeric phone number ID from the Meta app (not the phone number)"
            )
        return value

    @field_validator("whatsapp_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", value):
            raise ValueError("must be an http(s) URL such as https://graph.facebook.com/v26.0")
        return value

    @field_validator("admins")
    @classmethod
    def _check_admins(cls, value: str) -> str:
        from bot.core.events import UserRef

        for item in value.split(","):
            if item.strip():
                UserRef.parse(item)
        return value.strip()

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        parse_quiet_hours(value)
        return value.strip()

    @property
    def admin_refs(self) -> list[UserRef]:
        from bot.core.events import UserRef

        return [UserRef.parse(i) for i in self.admins.split(",") if i.strip()]

    @property
    def quiet_hours_range(self) -> tuple[int, int] | None:
        return parse_quiet_hours(self.quiet_hours)

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_ENV_NAMES = {
    name: (
        field.validation_alias
        if isinstance(field.validation_alias, str)
        else (
            field.validation_alias.choices[0]
            if isinstance(field.validation_alias, AliasChoices)
            else name
        )
    )
    for name, field in Settings.model_fields.items()
}


def env_name(field: str) -> str:
    """The environment variable that sets ``field``."""
    return str(_ENV_NAMES.get(field, field.upper()))


def load_settings(**overrides: Any) -> Settings:
    """Load settings, turning any invalid value into a one-line :class:`ConfigError`."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else "?"
        name = env_name(field)
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
    from bot.core.i18n import available_locales
    from bot.logs import register_secret

    for secret in (settings.telegram_bot_token, settings.telegram_webhook_secret):
        if secret is not None:
            register_secret(secret.get_secret_value())
    locales = available_locales(settings.locales_dir)
    if settings.default_locale not in locales:
        raise ConfigError(
            f"VOTEBOT_DEFAULT_LOCALE: {settings.default_locale!r} is not an available locale "
            f"(available: {', '.join(sorted(locales))})"
        )
    return settings
