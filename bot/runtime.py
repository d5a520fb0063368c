"""Build the running application from settings: database, migrations, content and the core."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.config import Settings
from bot.core.content import ContentErrors, ContentStore, load_content
from bot.core.engine import Core
from bot.core.i18n import available_locales
from bot.db import repo
from bot.db.engine import Database
from bot.db.migrate import ensure_schema
from bot.db.schema import load_models
from bot.logs import register_secret

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    content: ContentStore
    core: Core
    secret_key: str
    #: This worker's share of each platform's rate for conversation replies
    #: (bot.broadcast.budget.ReplyBudget), set by ``serve``; None: unlimited.
    reply_budget: object | None = None

    async def close(self) -> None:
        await self.db.close()


def load_bundled_content(settings: Settings) -> ContentStore:
    store, errors = load_content(
        settings.content_dir, available_locales(settings.locales_dir), settings.default_locale
    )
    if errors:
        raise ContentErrors(errors)
    return store


async def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (migrating it if it is behind), load content and build the core."""
    load_models()  # every feature table, and what registers with it (erasers, receipts)
    content = load_bundled_content(settings)
    db = Database(settings.database_url)
    try:
        if migrate and await ensure_schema(db):
            log.info("database schema upgraded")
        if settings.secret_key is not None:
            secret = settings.secret_key.get_secret_value()
        else:
            async with db.transaction() as session:
                secret = await repo.get_or_create_secret(session)
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
