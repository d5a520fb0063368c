"""Broadcast delivery: the rate limiter and the dispatcher that drains the outbox through channels.

Composition (files, segments, lifecycle) lives in :mod:`bot.core.broadcasts`; this package needs
the channels' delivery errors, so it sits outside the core.
"""
