"""The secret key stays out of the database it protects, and each use has its own derived key."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import ConfigError
from bot.db import repo
from bot.db.models import AppMeta
from bot.keys import LEGACY_META_KEY, derive
from bot.reports.data import pseudonym
from bot.runtime import open_runtime
from tests.conftest import make_settings


async def test_sqlite_keeps_a_generated_key_in_a_private_file(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    first = await open_runtime(make_settings(url, VOTEBOT_SECRET_KEY=None))
    try:
        key = first.require_secret()
        async with first.db.transaction() as s:
            assert (await s.scalars(select(AppMeta.value))).all() == []  # not in the database
    finally:
        await first.close()
    path = tmp_path / "bot.sqlite3.key"
    assert path.read_text().strip() == key and len(key) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = await open_runtime(make_settings(url, VOTEBOT_SECRET_KEY=None))
    try:
        assert again.secret_key == key  # stable across restarts and processes
    finally:
        await again.close()


async def test_a_key_an_older_version_stored_in_the_database_moves_to_the_file(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/old.sqlite3"
    rt = await open_runtime(make_settings(url))  # creates the schema
    async with rt.db.transaction() as s:
        await repo.claim_meta(s, LEGACY_META_KEY, "a" * 64)  # what versions before 0.2 wrote
    await rt.close()
    moved = await open_runtime(make_settings(url, VOTEBOT_SECRET_KEY=None))
    try:
        assert moved.secret_key == "a" * 64  # existing pseudonyms stay stable
        async with moved.db.transaction() as s:
            assert await repo.get_meta(s, LEGACY_META_KEY) is None
    finally:
        await moved.close()
    assert (tmp_path / "old.sqlite3.key").read_text().strip() == "a" * 64


async def test_serve_needs_the_key_from_the_environment_on_postgresql(db_url: str) -> None:
    settings = make_settings(db_url, VOTEBOT_SECRET_KEY=None)
    if settings.is_sqlite:  # one machine: the generated key file is enough for serve
        rt = await open_runtime(settings, require_secret=True)
        assert rt.secret_key is not None
        await rt.close()
        return
    with pytest.raises(ConfigError, match="VOTEBOT_SECRET_KEY is not set"):
        await open_runtime(settings, require_secret=True)
    rt = await open_runtime(settings)
    try:
        assert rt.secret_key is None  # other commands still work; exports then ask for it
        with pytest.raises(ConfigError, match="VOTEBOT_SECRET_KEY"):
            rt.require_secret()
    finally:
        await rt.close()


def test_pseudonyms_and_cookies_use_separate_derived_keys() -> None:
    secret = "s" * 32
    assert derive(secret, "pseudonym") != derive(secret, "admin-session")
    raw = hmac.new(secret.encode(), b"user:1", hashlib.sha256).hexdigest()
    assert pseudonym(secret, 1) != raw  # the bare secret is never the HMAC key
    assert pseudonym(secret, 1) == pseudonym(secret, 1) != pseudonym(secret, 2)
