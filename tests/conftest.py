"""Fixtures: a real database per test (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set).

The network is blocked by pytest-socket (see ``addopts``): only loopback connections are allowed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot import ROOT
from bot.config import Settings, load_settings
from bot.db.engine import Database
from bot.db.migrate import upgrade
from bot.db.schema import load_models
from bot.runtime import Runtime, open_runtime
from tests.dialog import Dialog

T = TypeVar("T")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "db_url" in metafunc.fixturenames:
        metafunc.parametrize("db_url", BACKENDS, indirect=True)


def pytest_report_header() -> str:
    return f"database backends: {', '.join(BACKENDS)}"


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in its own thread and loop (safe inside a running loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    run_in_thread(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A private, migrated PostgreSQL database for this test session, dropped at the end."""
    import asyncpg

    base = make_url(PG_URL).set(drivername="postgresql+asyncpg")
    name = f"votebot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_in_thread(admin(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        run_in_thread(_migrate(url))
        yield url
    finally:
        run_in_thread(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database for one test, on the parametrised backend."""
    from bot.core.regions import reset_name_index

    reset_name_index()  # tests insert regions directly, without the importer's version stamp
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.sqlite3"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("pg_database")
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in load_models().sorted_tables)
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await db.close()
    return url


def make_settings(db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "DATABASE_URL": db_url,
        "VOTEBOT_CONTENT_DIR": ROOT / "content",
        "VOTEBOT_SECRET_KEY": "test-secret-key-0123456789",
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = await open_runtime(settings)
    # Tests talk faster than any person; flood control has its own tests (tests/test_flood.py).
    rt.core.flood = None
    try:
        yield rt
    finally:
        await rt.close()


@pytest.fixture
def dialog(runtime: Runtime) -> Dialog:
    """A conversation with a new user whose client speaks Indonesian."""
    return Dialog(runtime.core)
