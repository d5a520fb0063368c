"""Configuration from environment variables and an optional ``.env`` file.

Every setting has a sensible default so that ``votebot chat`` runs with no configuration at all
(SQLite at ``db/votebot.sqlite3``, the bundled content, Indonesian by default).
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot import ROOT

if TYPE_CHECKING:
    from bot.core.events import UserRef

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///db/votebot.sqlite3"

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
    default_locale: str = Field("id", validation_alias="VOTEBOT_DEFAULT_LOCALE")
    content_dir: Path = Field(ROOT / "content", validation_alias="VOTEBOT_CONTENT_DIR")
    locales_dir: Path = Field(ROOT / "locales", validation_alias="VOTEBOT_LOCALES_DIR")
    secret_key: SecretStr | None = Field(None, validation_alias="VOTEBOT_SECRET_KEY")
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "VOTEBOT_LOG_LEVEL"))
    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(8080, ge=1, le=65535, validation_alias="PORT")
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

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        return normalise_database_url(value)

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

    @field_validator("default_locale")
    @classmethod
    def _check_locale_shape(cls, value: str) -> str:
        return value.strip()

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

    locales = available_locales(settings.locales_dir)
    if settings.default_locale not in locales:
        raise ConfigError(
            f"VOTEBOT_DEFAULT_LOCALE: {settings.default_locale!r} is not an available locale "
            f"(available: {', '.join(sorted(locales))})"
        )
    return settings
