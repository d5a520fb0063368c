"""The main menu. Flows add their entries with :func:`menu_item`; labels translate on render.

The main menu holds at most :data:`MAX_MAIN_ITEMS` entries, so it fits one WhatsApp list (10 rows)
and one phone screen; settings and less frequent entries go on the "More" screen
(:func:`more_item`), which is the menu's last entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.i18n import Translator
from bot.core.replies import Button

MENU_ROW_WIDTH = 2


@dataclass(frozen=True)
class MenuItem:
    key: str
    #: A label marked with ``N_`` (translated when the menu is shown).
    label: str
    payload: str
    order: int = 100


#: A WhatsApp list shows at most 10 rows.
MAX_MAIN_ITEMS = 10

MENU: dict[str, MenuItem] = {}
MORE: dict[str, MenuItem] = {}


def menu_item(key: str, label: str, payload: str, order: int = 100) -> MenuItem:
    item = MenuItem(key, label, payload, order)
    MENU[key] = item
    if len(MENU) > MAX_MAIN_ITEMS:
        raise ValueError(
            f"the main menu holds {MAX_MAIN_ITEMS} entries; put {key!r} on the More screen"
        )
    return item


def more_item(key: str, label: str, payload: str, order: int = 100) -> MenuItem:
    """An entry of the "More" screen (settings, privacy, less frequent features)."""
    item = MenuItem(key, label, payload, order)
    MORE[key] = item
    return item


def menu_buttons(
    gettext: Callable[[str], str], *, width: int = MENU_ROW_WIDTH
) -> list[list[Button]]:
    """The main menu as rows of buttons, translated with ``gettext``."""
    return _rows(MENU, gettext, width)


def more_buttons(
    gettext: Callable[[str], str], *, width: int = MENU_ROW_WIDTH
) -> list[list[Button]]:
    """The "More" screen's entries as rows of buttons."""
    return _rows(MORE, gettext, width)


#: Rendered rows per menu, translator and width. A :class:`Translator` is one object per locale
#: (see ``Core.translator``), so this holds a few entries; the menu is shown on most messages.
_RENDERED: dict[tuple[tuple[MenuItem, ...], Translator, int], list[list[Button]]] = {}


def _rows(
    items: dict[str, MenuItem], gettext: Callable[[str], str], width: int
) -> list[list[Button]]:
    ordered = tuple(sorted(items.values(), key=lambda i: (i.order, i.key)))
    key = (ordered, gettext, width) if isinstance(gettext, Translator) else None
    rows = _RENDERED.get(key) if key is not None else None
    if rows is None:
        buttons = [Button(gettext(i.label), payload=i.payload) for i in ordered]
        rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
        if key is not None and len(_RENDERED) < 256:
            _RENDERED[key] = rows
    # Buttons are frozen; the lists are the caller's own.
    return [list(row) for row in rows]
