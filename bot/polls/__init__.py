"""Suara Muda polls outside the core: the background service that opens and closes them."""
