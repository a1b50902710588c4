"""The handshake case model: header tables, validation, defaults."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases import handshake as hs
from wsconform.cases.exceptions import InvalidCase
from wsconform.cases.model import OK, ExpectedClose, KillAfter, Message, SendMessage, Verdict

CLOSE = ExpectedClose(closed_by_me=True, close_codes=(1000,), require_clean=True)


def test_exports() -> None:
    for name in hs.__all__:
        assert hasattr(hs, name), name


def test_replace_and_remove_headers_keep_order() -> None:
    headers = (("A", "1"), ("b", "2"), ("C", "3"))
    assert hs.replace_header(headers, "B", "x", "y") == (
        ("A", "1"),
        ("B", "x"),
        ("B", "y"),
        ("C", "3"),
    )
    assert hs.replace_header(headers, "D", "4") == (*headers, ("D", "4"))
    assert hs.replace_header(headers, "b") == (("A", "1"), ("C", "3"))
    assert hs.without_header(headers, "a") == (("b", "2"), ("C", "3"))


def test_the_standard_messages() -> None:
    names = [name for name, _value in hs.STANDARD_REQUEST]
    assert names == ["Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"]
    assert ("Sec-WebSocket-Accept", hs.ACCEPT) in hs.STANDARD_RESPONSE
    assert hs.HandshakeRequest().values("host") == [hs.HOST]


@pytest.mark.parametrize(
    "build",
    [
        lambda: hs.HandshakeRequest((("X", "a\r\nInjected: yes"),)),
        lambda: hs.HandshakeRequest((("X:Y", "a"),)),
        lambda: hs.HandshakeRequest((("", "a"),)),
        lambda: hs.HandshakeRequest(chopsize=0),
        lambda: hs.HandshakeResponse("HTTP/1.1 101\r\nX: y"),
        lambda: hs.HandshakeResponse(chopsize=0),
        lambda: hs.ServerExpectation(accept=Verdict.INFORMATIONAL),
    ],
)
def test_invalid_definitions_are_refused(build: object) -> None:
    with pytest.raises(InvalidCase):
        build()  # type: ignore[operator]


def test_a_space_before_the_colon_can_be_sent() -> None:
    assert hs.HandshakeRequest((("Upgrade ", "websocket"),)).headers[0][0] == "Upgrade "


def test_an_accepting_server_case_needs_its_echo() -> None:
    with pytest.raises(InvalidCase, match="echo"):
        hs.ServerHandshakeCase(
            id="hs.1.1", description="d", expectation="e", steps=(), expected={},
            expected_close=CLOSE, answer=hs.MUST_ACCEPT,
        )  # fmt: skip
    case = hs.ServerHandshakeCase(
        id="hs.1.1", description="d", expectation="e", steps=(SendMessage(b"x"), KillAfter(1)),
        expected={OK: (Message(b"x"),)}, expected_close=CLOSE, applies_to="server",
    )  # fmt: skip
    assert case.answer.wants_accept and case.request == hs.HandshakeRequest()


def test_a_client_case_waits_a_positive_time() -> None:
    with pytest.raises(InvalidCase, match="wait"):
        hs.ClientHandshakeCase(
            id="hc.1.1", description="d", expectation="e", steps=(), expected={},
            expected_close=CLOSE, wait=0,
        )  # fmt: skip
    with pytest.raises(InvalidCase):
        hs.ClientHandshakeCase(
            id="9.9.9.9", description="d", expectation="e", steps=(), expected={},
            expected_close=CLOSE,
        )  # fmt: skip


def test_handshake_lines_cut_what_is_long() -> None:
    lines = hs.handshake_lines(catalog.get("hs.6.3"))
    assert lines[0] == "GET <the target's path> HTTP/1.1"
    assert lines[-2].startswith("(then 32 bytes in the same write")
    assert lines[-1] == "(written 1 byte(s) per TCP write)"
    many = hs.handshake_lines(catalog.get("hs.5.8"))
    assert many[-1] == "... (985 more header lines)" and len(many) == 22
    assert hs.handshake_lines(catalog.get("1.1.1")) == []
