"""Cek Fakta: match forwarded claims against the checked claims library (no network)."""
