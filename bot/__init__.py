"""Teman Pemilih: a chatbot that teaches young Indonesian voters how to vote."""

from pathlib import Path

__version__ = "0.1.0"

#: The project root (the folder holding ``bot/``, ``content/``, ``locales/`` and ``db/``).
ROOT = Path(__file__).resolve().parent.parent
