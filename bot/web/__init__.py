"""The aiohttp web application shared by webhooks, health checks and the admin dashboard."""
