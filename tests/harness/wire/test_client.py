"""Connecting: each way of failing says which step failed (real sockets)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from tests.peers.hostile import NeverAnsweringPeer, PlainHttpPeer, serve_hostile
from tests.timing import unit
from wsconform.harness.record.observation import Observation
from wsconform.harness.wire import connection as wire
from wsconform.harness.wire.client import connect, tls_context
from wsconform.harness.wire.exceptions import ConnectError
from wsconform.reference.protocol.uri import WebSocketURI, parse_uri

from .test_connection import Quiet


def factory(uri: WebSocketURI) -> Callable[[], wire.TesterConnection]:
    """A tester connection that must never be opened (its handshake never starts)."""

    def make() -> wire.TesterConnection:
        return wire.TesterConnection(uri, Observation(), Quiet())

    return make


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_a_refused_connection_says_so() -> None:
    uri = parse_uri(f"ws://127.0.0.1:{closed_port()}/")
    with pytest.raises(ConnectError) as caught:
        asyncio.run(connect(uri, factory(uri), timeout=unit(5)))
    assert caught.value.reason == "Connection refused"


@pytest.mark.parametrize("peer", [NeverAnsweringPeer, PlainHttpPeer])
def test_wss_to_a_server_without_tls_says_the_tls_handshake_failed(
    peer: type[NeverAnsweringPeer],
) -> None:
    async def attempt() -> None:
        async with serve_hostile(peer) as url:
            uri = parse_uri(url.replace("ws://", "wss://"))
            await connect(uri, factory(uri), ssl_context=tls_context(verify=False), timeout=0.5)

    with pytest.raises(ConnectError) as caught:
        asyncio.run(attempt())
    assert caught.value.reason.startswith("TLS handshake failed: ")
    assert "plain ws:// server" in caught.value.reason
