"""Conversation flows. Each module registers its commands, buttons and states on the router.

Order matters only for the main menu (by each item's ``order``) and for help (by command order).
"""

from __future__ import annotations

import importlib

#: Flow modules, imported once when the core starts.
FLOW_MODULES = [
    "bot.core.flows.basics",
    "bot.core.flows.info",
    "bot.core.flows.quiz",
    "bot.core.flows.pledge",
    "bot.core.flows.referral",
    "bot.core.flows.report",
    "bot.core.flows.calendar",
    "bot.core.flows.privacy",
    "bot.core.flows.mydata",
    "bot.core.flows.tps",
    "bot.core.flows.siaran",
    "bot.core.flows.polls",
    "bot.core.flows.poll_review",
    "bot.core.flows.siaran_uji",
    "bot.core.flows.questions",
    "bot.core.understanding.answer",
    # after the understanding layer: its free-text handler runs first and hands the rest on
    "bot.core.factcheck.flow",
    "bot.core.factcheck.checker",
]


def load_flows() -> None:
    for module in FLOW_MODULES:
        importlib.import_module(module)
