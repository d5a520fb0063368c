"""The conversation core: plain async code from an inbound event to outbound replies.

Nothing in this package imports ``telegram`` or ``aiohttp``; channels are adapters around it.
"""
