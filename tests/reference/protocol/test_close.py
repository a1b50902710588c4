"""Close bodies and codes (RFC 6455 sections 5.5.1 and 7.4, IANA registry)."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.strategies import closes
from wsconform.reference.protocol import close as close_module
from wsconform.reference.protocol.close import (
    NO_STATUS_RCVD,
    NORMAL_CLOSURE,
    Close,
    CloseCode,
    is_valid_wire_code,
    label,
)
from wsconform.reference.protocol.exceptions import InvalidPayloadData, ProtocolError

# Autobahn 7.7.x (valid) and 7.9.x (invalid) codes.
AUTOBAHN_VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
AUTOBAHN_INVALID = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]


def expected_valid(code: int) -> bool:
    """The rule of the issue, written out independently of the implementation."""
    return code in {*range(1000, 1004), *range(1007, 1015)} or 3000 <= code <= 4999


def test_codes_have_their_iana_values() -> None:
    assert {code.name: code.value for code in CloseCode} == {
        "NORMAL_CLOSURE": 1000,
        "GOING_AWAY": 1001,
        "PROTOCOL_ERROR": 1002,
        "UNSUPPORTED_DATA": 1003,
        "NO_STATUS_RCVD": 1005,
        "ABNORMAL_CLOSURE": 1006,
        "INVALID_DATA": 1007,
        "POLICY_VIOLATION": 1008,
        "MESSAGE_TOO_BIG": 1009,
        "MANDATORY_EXTENSION": 1010,
        "INTERNAL_ERROR": 1011,
        "SERVICE_RESTART": 1012,
        "TRY_AGAIN_LATER": 1013,
        "BAD_GATEWAY": 1014,
        "TLS_HANDSHAKE": 1015,
    }
    for code in CloseCode:
        assert getattr(close_module, code.name) is code


def test_is_valid_wire_code_for_every_16_bit_code() -> None:
    wrong = [code for code in range(2**16) if is_valid_wire_code(code) is not expected_valid(code)]
    assert wrong == []


@pytest.mark.parametrize("code", AUTOBAHN_VALID)
def test_autobahn_valid_codes(code: int) -> None:
    assert is_valid_wire_code(code)
    assert Close.parse(code.to_bytes(2, "big")) == Close(code, "")


@pytest.mark.parametrize("code", [*AUTOBAHN_INVALID, 1015, 5000, 65535])
def test_autobahn_invalid_codes(code: int) -> None:
    assert not is_valid_wire_code(code)
    with pytest.raises(ProtocolError, match=f"invalid close code {code}"):
        Close.parse(code.to_bytes(2, "big"))


def test_parse_empty_body_is_1005() -> None:
    assert Close.parse(b"") == Close(NO_STATUS_RCVD, "")


def test_parse_one_byte_body() -> None:
    # Autobahn 7.3.2 sends the body "a".
    with pytest.raises(ProtocolError, match="1-byte body"):
        Close.parse(b"a")


def test_parse_reason() -> None:
    assert Close.parse(b"\x03\xe8Hello World!") == Close(1000, "Hello World!")
    assert Close.parse(memoryview(b"\x03\xe8\xce\xba")) == Close(1000, "κ")


def test_parse_invalid_utf8_reason() -> None:
    # Autobahn 7.5.1: KOSME, a surrogate, "edited".
    body = b"\x03\xe8" + bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")
    with pytest.raises(InvalidPayloadData, match="invalid UTF-8 in the close reason"):
        Close.parse(body)


def test_serialize() -> None:
    assert Close(1000, "").serialize() == b"\x03\xe8"
    assert Close(4999, "bye").serialize() == b"\x13\x87bye"
    assert Close(NO_STATUS_RCVD, "").serialize() == b""


def test_check() -> None:
    Close(1000, "*" * 123).check()
    Close(NO_STATUS_RCVD, "").check()
    with pytest.raises(ProtocolError, match="longer than 123"):
        Close(1000, "*" * 124).check()
    with pytest.raises(ProtocolError, match="longer than 123"):
        Close(1000, "é" * 62).check()  # 124 bytes in UTF-8
    with pytest.raises(ProtocolError, match="without a code"):
        Close(NO_STATUS_RCVD, "reason").check()
    for code in (1004, 1006, 1015, 999, 5000):
        with pytest.raises(ProtocolError, match="cannot be sent"):
            Close(code, "").check()


@pytest.mark.parametrize(
    ("close", "text"),
    [
        (Close(1000, "bye"), "1000 (OK) bye"),
        (Close(1000, ""), "1000 (OK)"),
        (Close(1005, ""), "1005 (no status received [internal])"),
        (Close(1009, "big"), "1009 (message too big) big"),
        (Close(3001, ""), "3001 (registered)"),
        (Close(4001, ""), "4001 (private use)"),
        (Close(2000, ""), "2000 (unknown)"),
    ],
)
def test_str(close: Close, text: str) -> None:
    assert str(close) == text


def test_every_named_code_has_a_label() -> None:
    for code in CloseCode:
        assert label(code) != "unknown"
    assert label(NORMAL_CLOSURE) == "OK"


@given(close=closes())
def test_serialize_then_parse(close: Close) -> None:
    close.check()
    assert Close.parse(close.serialize()) == close
