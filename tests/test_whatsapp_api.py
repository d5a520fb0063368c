"""The Graph API client: where the access token may travel."""

from __future__ import annotations

import pytest


async def test_the_token_never_goes_to_a_plain_http_media_url() -> None:
    from bot.channels.whatsapp.api import GraphAPI, GraphError
    from tests.whatsapp_fakes import PHONE_ID, TOKEN, FakeGraph

    graph = FakeGraph()
    await graph.start()
    api = GraphAPI(graph.url, PHONE_ID, TOKEN)
    try:
        assert await api.download_media("555001", 10_000_000)  # the API's own host: fine
        graph.download_base = "http://media.example.invalid"  # plain http, another host
        with pytest.raises(GraphError, match="not https"):
            await api.download_media("555001", 10_000_000)
    finally:
        await api.close()
        await graph.close()
