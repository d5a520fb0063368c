"""The WhatsApp Business Cloud API channel (see :mod:`bot.channels.whatsapp.channel`)."""

from bot.channels.whatsapp.channel import OutsideWindow, WhatsAppChannel

__all__ = ["OutsideWindow", "WhatsAppChannel"]
