"""The sync client's opening handshake when the server is gone before the request."""

from __future__ import annotations

import socket

import pytest

from tests.timing import unit
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.exceptions import InvalidMessage
from wsconform.reference.protocol.uri import parse_uri
from wsconform.reference.sync.client import ClientConnection


def test_a_server_that_closed_before_the_request_is_an_invalid_handshake() -> None:
    # The reader thread starts with the connection and sees the EOF first; the handshake
    # must then fail as a handshake, not with the core's "request sent only once".
    ours, theirs = socket.socketpair()
    theirs.close()
    connection = ClientConnection(
        ours, ClientProtocol(parse_uri("ws://127.0.0.1/")), ping_interval=None
    )
    assert connection.wait_closed(unit(5))
    with pytest.raises(InvalidMessage, match="connection closed"):
        connection.handshake(unit(5))
