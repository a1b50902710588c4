"""Tests of :mod:`wsconform.reference.protocol.headers`."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsconform.reference.protocol import headers as headers_module
from wsconform.reference.protocol.exceptions import InvalidHeaderFormat, MultipleValuesError
from wsconform.reference.protocol.headers import (
    ExtensionHeader,
    Headers,
    build_extension_list,
    build_host,
    build_subprotocol_list,
    parse_connection,
    parse_extension_list,
    parse_subprotocol_list,
    parse_token_list,
    parse_upgrade,
)

# --- Headers ----------------------------------------------------------------------------


def test_lookup_is_case_insensitive_and_keeps_spelling() -> None:
    headers = Headers([("Sec-WebSocket-Key", "abc"), ("HOST", "example.com")])
    assert headers["sec-websocket-key"] == "abc"
    assert headers["Host"] == "example.com"
    assert "host" in headers
    assert "Origin" not in headers
    assert list(headers) == ["Sec-WebSocket-Key", "HOST"]
    assert headers.raw_items() == [("Sec-WebSocket-Key", "abc"), ("HOST", "example.com")]


def test_multiple_values() -> None:
    headers = Headers()
    headers.add("Connection", "keep-alive")
    headers.add("connection", "Upgrade")
    assert len(headers) == 1
    assert headers.get_all("CONNECTION") == ["keep-alive", "Upgrade"]
    assert headers.get_joined("Connection") == "keep-alive, Upgrade"
    with pytest.raises(MultipleValuesError) as info:
        headers["Connection"]
    assert str(info.value) == "Connection header appears 2 times"
    assert headers.get_all("Missing") == []
    assert headers.get_joined("Missing") is None


def test_missing_raises_key_error() -> None:
    with pytest.raises(KeyError):
        Headers()["Host"]
    assert Headers().get("Host") is None


def test_setitem_replaces_and_delitem_removes_all() -> None:
    headers = Headers([("A", "1"), ("b", "2"), ("a", "3")])
    headers["A"] = "4"
    assert headers.raw_items() == [("b", "2"), ("A", "4")]
    del headers["B"]
    assert headers.raw_items() == [("A", "4")]
    with pytest.raises(KeyError):
        del headers["b"]


def test_equality_copy_and_serialization() -> None:
    headers = Headers(Host="example.com")
    headers.add("X-Two", "a")
    headers.add("X-Two", "b")
    copy = headers.copy()
    assert copy == headers
    copy.add("X-Two", "c")
    assert copy != headers
    assert headers.serialize() == b"Host: example.com\r\nX-Two: a\r\nX-Two: b\r\n\r\n"
    assert Headers(headers) == headers
    assert Headers({"Host": "example.com"}) != headers
    assert headers != {"Host": "example.com"}
    assert "X-Two" in repr(headers)
    headers.clear()
    assert len(headers) == 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Bad Name", "x"),
        ("Bad:Name", "x"),
        ("", "x"),
        ("X", "a\r\nInjected: 1"),
        ("X", "a\nb"),
        ("X", "a\x00b"),
        ("X", " leading"),
        ("X", "trailing "),
        ("X", "snowman \u2603"),
    ],
)
def test_invalid_fields_are_refused(name: str, value: str) -> None:
    with pytest.raises(ValueError):
        Headers().add(name, value)


def test_latin1_values_are_allowed() -> None:
    headers = Headers([("X", "caf\xe9")])
    assert headers.serialize() == b"X: caf\xe9\r\n\r\n"


# --- token lists --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Upgrade", ["Upgrade"]),
        ("keep-alive, Upgrade", ["keep-alive", "Upgrade"]),
        ("keep-alive,Upgrade", ["keep-alive", "Upgrade"]),
        (" keep-alive ,\tUpgrade ", ["keep-alive", "Upgrade"]),
        # RFC 7230 section 7: "a recipient MUST accept empty list elements"
        (",Upgrade,,", ["Upgrade"]),
        (", ,  , a", ["a"]),
    ],
)
def test_parse_token_list(header: str, expected: list[str]) -> None:
    assert parse_token_list(header) == expected
    assert parse_connection(header) == expected


@pytest.mark.parametrize(
    ("header", "pos"),
    [
        ("", 0),
        (" , ", 3),
        ("keep alive", 5),
        ("a;b", 1),
        ('"quoted"', 0),
        ("a, b c", 5),
    ],
)
def test_parse_token_list_errors(header: str, pos: int) -> None:
    with pytest.raises(InvalidHeaderFormat) as info:
        parse_connection(header)
    assert info.value.name == "Connection"
    assert f"at {pos} in" in str(info.value)


def test_parse_upgrade_allows_versions() -> None:
    assert parse_upgrade("websocket, HTTP/2.0, h2c") == ["websocket", "HTTP/2.0", "h2c"]
    with pytest.raises(InvalidHeaderFormat):
        parse_upgrade("websocket/")


def test_subprotocol_lists() -> None:
    assert parse_subprotocol_list("chat, superchat") == ["chat", "superchat"]
    assert build_subprotocol_list(["chat", "superchat"]) == "chat, superchat"
    with pytest.raises(ValueError):
        build_subprotocol_list([])
    with pytest.raises(ValueError):
        build_subprotocol_list(["not a token"])
    with pytest.raises(InvalidHeaderFormat):
        parse_subprotocol_list("chat/1")


# --- Sec-WebSocket-Extensions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("foo", [("foo", [])]),
        ("foo, bar", [("foo", []), ("bar", [])]),
        (
            "permessage-deflate; client_max_window_bits",
            [("permessage-deflate", [("client_max_window_bits", None)])],
        ),
        (
            "permessage-deflate;server_max_window_bits=10;client_no_context_takeover",
            [
                (
                    "permessage-deflate",
                    [("server_max_window_bits", "10"), ("client_no_context_takeover", None)],
                )
            ],
        ),
        # Whitespace around ";" and "=" as deployed peers send it.
        ("foo ; a = 1 ;b", [("foo", [("a", "1"), ("b", None)])]),
        # Quoted values are unescaped; the result must be a token (RFC 6455 section 9.1).
        ('foo; a="1"', [("foo", [("a", "1")])]),
        ('foo; a="x\\-y"', [("foo", [("a", "x-y")])]),
        (
            'permessage-deflate; server_max_window_bits="10", permessage-deflate',
            [
                ("permessage-deflate", [("server_max_window_bits", "10")]),
                ("permessage-deflate", []),
            ],
        ),
        (",foo,,", [("foo", [])]),
    ],
)
def test_parse_extension_list(header: str, expected: list[ExtensionHeader]) -> None:
    assert parse_extension_list(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "foo;",
        "foo; =1",
        "foo; a=",
        "foo; a=1 2",
        'foo; a="1',
        'foo; a="a b"',  # unquoted value is not a token
        'foo; a=""',
        "foo bar",
        "foo; a=1; b=\u2603",
        'foo; a="\\\x01"',
    ],
)
def test_parse_extension_list_errors(header: str) -> None:
    with pytest.raises(InvalidHeaderFormat) as info:
        parse_extension_list(header)
    assert info.value.name == "Sec-WebSocket-Extensions"


def test_build_extension_list() -> None:
    value = build_extension_list(
        [
            ("permessage-deflate", [("client_max_window_bits", None)]),
            ("permessage-deflate", [("server_max_window_bits", "10")]),
        ]
    )
    assert value == (
        "permessage-deflate; client_max_window_bits, permessage-deflate; server_max_window_bits=10"
    )
    with pytest.raises(ValueError):
        build_extension_list([("foo", [("a", "not token")])])


_tokens = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.!#$%&'*+^`|~", min_size=1)


@given(
    st.lists(
        st.tuples(_tokens, st.lists(st.tuples(_tokens, st.none() | _tokens), max_size=4)),
        min_size=1,
        max_size=4,
    )
)
def test_extension_list_round_trip(extensions: list[ExtensionHeader]) -> None:
    assert parse_extension_list(build_extension_list(extensions)) == extensions


@given(st.lists(_tokens, min_size=1, max_size=5))
def test_subprotocol_list_round_trip(subprotocols: list[str]) -> None:
    assert parse_subprotocol_list(build_subprotocol_list(subprotocols)) == subprotocols


@given(st.text(max_size=40))
def test_parsers_raise_only_invalid_header_format(header: str) -> None:
    for parse in (parse_extension_list, parse_connection, parse_upgrade):
        with contextlib.suppress(InvalidHeaderFormat):
            parse(header)


# --- Host ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "secure", "expected"),
    [
        ("example.com", 80, False, "example.com"),
        ("example.com", 443, True, "example.com"),
        ("example.com", 443, False, "example.com:443"),
        ("example.com", 80, True, "example.com:80"),
        ("example.com", 8765, False, "example.com:8765"),
        ("::1", 80, False, "[::1]"),
        ("::1", 8765, True, "[::1]:8765"),
    ],
)
def test_build_host(host: str, port: int, secure: bool, expected: str) -> None:
    assert build_host(host, port, secure=secure) == expected


def test_all_is_complete() -> None:
    for name in headers_module.__all__:
        assert hasattr(headers_module, name)
