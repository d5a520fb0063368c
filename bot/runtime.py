"""Build the running application from settings: database, migrations, content and the core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import ConfigError, Settings
from bot.core.content import ContentErrors, ContentStore, load_content
from bot.core.engine import Core
from bot.core.i18n import available_locales
from bot.db.engine import Database
from bot.db.migrate import ensure_schema
from bot.db.schema import load_models
from bot.keys import resolve_secret
from bot.logs import register_secret

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    content: ContentStore
    core: Core
    #: None only on PostgreSQL without ``VOTEBOT_SECRET_KEY`` (see :mod:`bot.keys`).
    secret_key: str | None
    #: Inbound messages handled at once in this process, across channels (sized to the pool).
    inbound_slots: asyncio.Semaphore | None = field(default=None, compare=False, repr=False)
    #: This worker's share of each platform's rate for conversation replies
    #: (bot.broadcast.budget.ReplyBudget), set by ``serve``; None: unlimited.
    reply_budget: object | None = None

    def require_secret(self) -> str:
        """The secret key, or a :class:`ConfigError` saying how to set one."""
        if self.secret_key is None:
            from bot.keys import MISSING_ON_POSTGRES

            raise ConfigError(MISSING_ON_POSTGRES)
        return self.secret_key

    async def close(self) -> None:
        await self.db.close()


#: Loaded content by what it was loaded from (see :func:`_signature`): content never changes
#: under a running process, so every runtime of a process shares one store and the indexes
#: built on it (understanding, Cek Fakta), instead of parsing and indexing it again.
_LOADED: dict[tuple[object, ...], ContentStore] = {}


def _signature(settings: Settings, locales: Sequence[str]) -> tuple[object, ...]:
    """What the store depends on: the directories, locales and every file's size and mtime."""
    files: list[tuple[str, int, int]] = []
    for root in (settings.content_dir, settings.locales_dir):
        for path in sorted(Path(root).rglob("*")):
            if path.is_file():
                info = path.stat()
                files.append((str(path), info.st_size, info.st_mtime_ns))
    return (str(settings.content_dir), tuple(locales), settings.default_locale, tuple(files))


def load_bundled_content(settings: Settings) -> ContentStore:
    """The content for ``settings``, loaded once per process (again if a file changed)."""
    locales = available_locales(settings.locales_dir)
    key = _signature(settings, locales)
    store = _LOADED.get(key)
    if store is not None:
        return store
    store, errors = load_content(settings.content_dir, locales, settings.default_locale)
    if errors:
        raise ContentErrors(errors)
    _LOADED.clear()  # one store at a time: an edited file replaces the old one
    _LOADED[key] = store
    return store


async def open_runtime(
    settings: Settings, *, migrate: bool = True, require_secret: bool = False
) -> Runtime:
    """Open the database (migrating it if it is behind), load content and build the core.

    ``require_secret`` makes a missing secret key on PostgreSQL an error at once (``serve``).
    """
    load_models()  # every feature table, and what registers with it (erasers, receipts)
    content = load_bundled_content(settings)
    db = Database(settings.database_url)
    try:
        if migrate and await ensure_schema(db):
            log.info("database schema upgraded")
        secret = await resolve_secret(settings, db, required=require_secret)
        if secret is not None:
            register_secret(secret)
        if settings.admin_token is not None:
            register_secret(settings.admin_token.get_secret_value())
        if settings.admin_refs:
            from bot.core.roles import apply_admins

            async with db.transaction() as session:
                for ref in await apply_admins(session, settings.admin_refs):
                    log.info("admin role given to %s (VOTEBOT_ADMINS)", ref)
        core = Core(settings, db, content)
    except BaseException:
        await db.close()
        raise
    return Runtime(settings, db, content, core, secret)
