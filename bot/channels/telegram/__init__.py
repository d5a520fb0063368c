"""Telegram: python-telegram-bot v22, polling or webhook (README: "Running on Telegram")."""

from bot.channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel"]
