"""The main menu. Flows add their entries with :func:`menu_item`; labels translate on render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.replies import Button

MENU_ROW_WIDTH = 2


@dataclass(frozen=True)
class MenuItem:
    key: str
    #: A label marked with ``N_`` (translated when the menu is shown).
    label: str
    payload: str
    order: int = 100


MENU: dict[str, MenuItem] = {}


def menu_item(key: str, label: str, payload: str, order: int = 100) -> MenuItem:
    item = MenuItem(key, label, payload, order)
    MENU[key] = item
    return item


def menu_buttons(
    gettext: Callable[[str], str], *, width: int = MENU_ROW_WIDTH
) -> list[list[Button]]:
    """The main menu as rows of buttons, translated with ``gettext``."""
    tr = gettext
    items = sorted(MENU.values(), key=lambda i: (i.order, i.key))
    buttons = [Button(tr(i.label), payload=i.payload) for i in items]
    return [buttons[i : i + width] for i in range(0, len(buttons), width)]
