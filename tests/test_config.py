"""Configuration: defaults, normalisation and one clear line for each bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import ROOT
from bot.config import ConfigError, load_settings


def test_defaults_resolve_against_the_project_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "VOTEBOT_DEFAULT_LOCALE", "VOTEBOT_CONTENT_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(_env_file=None)
    assert settings.database_url == f"sqlite+aiosqlite:///{ROOT / 'db' / 'votebot.sqlite3'}"
    assert settings.default_locale == "id"
    assert settings.content_dir == ROOT / "content"
    assert settings.secret_key is None
    assert settings.log_level == "INFO"


def test_database_url_aliases_are_normalised() -> None:
    s = load_settings(_env_file=None, DATABASE_URL="postgresql://u:p@127.0.0.1/db")
    assert s.database_url == "postgresql+asyncpg://u:p@127.0.0.1/db"
    assert not s.is_sqlite


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL: unsupported driver"),
        ("DATABASE_URL", "not a url", "DATABASE_URL: not a database URL"),
        ("VOTEBOT_DEFAULT_LOCALE", "fr", "VOTEBOT_DEFAULT_LOCALE: 'fr' is not an available locale"),
        (
            "VOTEBOT_CONTENT_DIR",
            "/nonexistent/dir",
            "VOTEBOT_CONTENT_DIR: /nonexistent/dir is not a directory",
        ),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL: use one of"),
        ("VOTEBOT_SECRET_KEY", "short", "VOTEBOT_SECRET_KEY: must be at least 16"),
        ("TELEGRAM_QUIZ_POLLS", "maybe", "TELEGRAM_QUIZ_POLLS: must be 1 (on) or 0 (off)"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None, **{name: value})
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("on", True), ("0", False)])
def test_quiz_polls_switch(value: str, expected: bool) -> None:
    assert load_settings(_env_file=None, TELEGRAM_QUIZ_POLLS=value).telegram_quiz_polls is expected


def test_cli_stops_with_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "mysql://root@localhost/x"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "Configuration error: DATABASE_URL: unsupported driver 'mysql'; use "
        "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB"
    ]
