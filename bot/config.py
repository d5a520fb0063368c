"""Configuration from environment variables and an optional ``.env`` file.

Every setting has a sensible default so that ``votebot chat`` runs with no configuration at all
(SQLite at ``db/votebot.sqlite3``, the bundled content, Indonesian by default).
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot import ROOT

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
    admin_token: SecretStr | None = Field(None, validation_alias="VOTEBOT_ADMIN_TOKEN")
    log_level: str = Field("INFO", validation_alias=AliasChoices("LOG_LEVEL", "VOTEBOT_LOG_LEVEL"))
    host: str = Field("127.0.0.1", validation_alias="HOST")
    port: int = Field(8080, ge=1, le=65535, validation_alias="PORT")

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
