"""The tester's side of the opening handshake in the server role: the subprotocol."""

from __future__ import annotations

import pytest

from wsconform.harness.wire.handshake import HandshakeFailed, ServerSettings, accept_request
from wsconform.reference.protocol.http import Request, RequestParser


def request(*extra: str) -> Request:
    head = (
        "GET /runCase?case=1&agent=a HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n" + "".join(f"{line}\r\n" for line in extra) + "\r\n"
    )
    parsed = RequestParser().feed(head.encode())
    assert parsed is not None
    return parsed


def protocol_header(response: bytes) -> list[str]:
    return [
        line.split(":", 1)[1].strip()
        for line in response.decode().split("\r\n")
        if line.lower().startswith("sec-websocket-protocol:")
    ]


@pytest.mark.parametrize(
    ("offered", "supported", "chosen"),
    [
        (None, (), None),
        ("wamp, mqtt", (), None),  # none agreed to: no header (RFC 6455 section 4.2.2)
        ("wamp, mqtt", ("mqtt", "wamp"), "wamp"),  # the client's order of preference
        ("chat", ("wamp",), None),
        (None, ("wamp",), None),
    ],
)
def test_the_first_offered_subprotocol_agreed_to_is_selected(
    offered: str | None, supported: tuple[str, ...], chosen: str | None
) -> None:
    extra = [f"Sec-WebSocket-Protocol: {offered}"] if offered is not None else []
    accepted = accept_request(request(*extra), ServerSettings(protocols=supported))
    assert accepted.negotiated.subprotocol == chosen
    assert protocol_header(accepted.response) == ([chosen] if chosen else [])


def test_an_unparsable_subprotocol_list_fails_the_handshake() -> None:
    with pytest.raises(HandshakeFailed):
        accept_request(
            request("Sec-WebSocket-Protocol: wamp,,, @@"), ServerSettings(protocols=("wamp",))
        )
