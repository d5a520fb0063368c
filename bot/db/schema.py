"""The whole schema in one place: import every model module so Alembic and the tests see all tables.

A feature that adds tables keeps them in ``bot/db/models_<feature>.py`` and adds its import here.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from bot.db import models

#: Feature model modules; each defines tables on :class:`bot.db.models.Base`.
MODEL_MODULES: list[str] = [
    "bot.db.models_whatsapp",
    "bot.db.models_quiz",
    "bot.db.models_pledge",
    "bot.db.models_tps",
    "bot.db.models_broadcast",
    "bot.db.models_telegram",
    "bot.db.models_questions",
    "bot.db.models_admin",
    "bot.db.models_claims",
    "bot.db.models_poll",
    "bot.db.models_experiment",
]


def load_models() -> MetaData:
    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)
    return models.Base.metadata
