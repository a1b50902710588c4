"""Tests of :mod:`wsconform.reference.protocol.uri` (RFC 6455 section 3)."""

from __future__ import annotations

import pytest

from wsconform.reference.protocol import uri as uri_module
from wsconform.reference.protocol.exceptions import InvalidURI
from wsconform.reference.protocol.uri import WebSocketURI, parse_uri


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ws://localhost/", WebSocketURI(False, "localhost", 80, "/")),
        ("ws://localhost", WebSocketURI(False, "localhost", 80, "/")),
        ("WSS://Example.COM", WebSocketURI(True, "example.com", 443, "/")),
        (
            "ws://localhost:8765/chat?x=1&y",
            WebSocketURI(False, "localhost", 8765, "/chat", "x=1&y"),
        ),
        ("wss://[::1]:9000/", WebSocketURI(True, "::1", 9000, "/")),
        ("ws://a/p%20q?r%3Ds", WebSocketURI(False, "a", 80, "/p%20q", "r%3Ds")),
        ("ws://a/caf\u00e9 x", WebSocketURI(False, "a", 80, "/caf%C3%A9%20x")),
        ("ws://\u00e9t\u00e9.fr/", WebSocketURI(False, "xn--t-9fab.fr", 80, "/")),
        ("ws://u:p%3A@h/", WebSocketURI(False, "h", 80, "/", username="u", password="p:")),
        ("ws://u@h/", WebSocketURI(False, "h", 80, "/", username="u")),
    ],
)
def test_parse_uri(text: str, expected: WebSocketURI) -> None:
    assert parse_uri(text) == expected


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://localhost/", "scheme isn't ws or wss"),
        ("localhost:8765", "scheme isn't ws or wss"),
        ("ws:///path", "hostname is missing"),
        ("ws://localhost/#frag", "URI can't contain a fragment"),
        ("ws://localhost/#", "URI can't contain a fragment"),
        ("ws://localhost:99999/", "Port out of range"),
        ("ws://localhost:port/", "Port could not be cast"),
    ],
)
def test_invalid_uri(text: str, why: str) -> None:
    with pytest.raises(InvalidURI) as info:
        parse_uri(text)
    assert why in str(info.value)
    assert str(info.value).startswith(f"{text} isn't a valid WebSocket URI")


def test_resource_name_user_info_and_str() -> None:
    uri = parse_uri("wss://user:secret@example.com:8443/a/b?c=d")
    assert uri.resource_name == "/a/b?c=d"
    assert uri.user_info == ("user", "secret")
    assert str(uri) == "wss://example.com:8443/a/b?c=d"
    assert parse_uri("ws://h").user_info is None
    assert parse_uri("ws://u@h").user_info == ("u", "")
    assert str(parse_uri("ws://[::1]:80/")) == "ws://[::1]/"
    assert WebSocketURI(False, "h", 80, "").resource_name == "/"


def test_all_is_complete() -> None:
    for name in uri_module.__all__:
        assert hasattr(uri_module, name)
