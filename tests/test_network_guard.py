"""Tests never reach the internet: pytest-socket blocks every non-loopback connection."""

from __future__ import annotations

import socket

import pytest


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
def test_internet_is_blocked() -> None:
    with pytest.raises(Exception, match=r"(?i)socket|blocked|host"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)


def test_loopback_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
