"""The secret key, kept out of the database it protects, and the keys derived from it.

- ``VOTEBOT_SECRET_KEY`` wins everywhere. On PostgreSQL it is required by ``votebot serve``
  (every worker must share it, and a key stored in the same database as the pseudonymised data
  would protect nothing).
- On SQLite without it, a key is generated once into a file beside the database
  (``<database>.key``, mode 0600). A key an older version stored in the ``app_meta`` table is moved
  there (and deleted from the database) so existing pseudonyms stay stable.
- Each use gets its own derived key (:func:`derive`): pseudonymising exported ids and signing admin
  cookies never share key material, so leaking one does not forge the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings
from bot.db import repo
from bot.db.engine import Database
from bot.db.models import AppMeta

#: The ``app_meta`` key where versions before 0.2 stored the generated secret.
LEGACY_META_KEY = "secret_key"

MISSING_ON_POSTGRES = (
    "VOTEBOT_SECRET_KEY is not set: on PostgreSQL every worker must share one secret key from "
    "the environment, never stored in the database. Generate one with "
    "`python3 -c 'import secrets; print(secrets.token_hex(32))'` and set it for every worker."
)


def derive(secret: str, purpose: str) -> bytes:
    """The key for one ``purpose`` (``pseudonym``, ``admin-session``) derived from ``secret``."""
    return hmac.new(secret.encode(), b"votebot-key\x00" + purpose.encode(), hashlib.sha256).digest()


def key_file(settings: Settings) -> Path | None:
    """Where the generated key of a file-backed SQLite database lives (None for in-memory)."""
    url = make_url(settings.database_url)
    if not settings.is_sqlite or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + ".key")


def _write_private(path: Path, value: str) -> None:
    """Create ``path`` readable by its owner only; an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")


async def resolve_secret(settings: Settings, db: Database, *, required: bool = False) -> str | None:
    """The secret key for this deployment (see the module doc).

    On PostgreSQL without ``VOTEBOT_SECRET_KEY`` this answers None, or raises :class:`ConfigError`
    when ``required`` (``votebot serve``, pseudonymised exports). Any key still stored in the
    database is deleted once the key lives elsewhere.
    """
    legacy: str | None = None
    async with db.transaction() as session:
        legacy = await repo.get_meta(session, LEGACY_META_KEY)
    if settings.secret_key is not None:
        secret: str | None = settings.secret_key.get_secret_value()
    elif (path := key_file(settings)) is not None:
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another process was first
                _write_private(path, legacy or secrets.token_hex(32))
        secret = path.read_text().strip()
    elif settings.is_sqlite:
        secret = legacy or secrets.token_hex(32)  # in-memory database: lives as long as it does
    else:
        if required:
            raise ConfigError(MISSING_ON_POSTGRES)
        return None
    if legacy is not None and (settings.secret_key is not None or key_file(settings)):
        async with db.transaction() as session:
            await session.execute(delete(AppMeta).where(AppMeta.key == LEGACY_META_KEY))
    return secret
