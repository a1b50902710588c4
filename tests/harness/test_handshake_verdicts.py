"""Verdicts of the handshake cases from hand-made records (no connection)."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases.handshake import ClientHandshakeCase, ServerHandshakeCase
from wsconform.harness import handshake_verdicts as hv
from wsconform.harness.record.observation import KillAfterFired, Observation, RxOctets


def _server(case_id: str) -> ServerHandshakeCase:
    case = catalog.get(case_id)
    assert isinstance(case, ServerHandshakeCase)
    return case


def _client(case_id: str) -> ClientHandshakeCase:
    case = catalog.get(case_id)
    assert isinstance(case, ClientHandshakeCase)
    return case


def _answered(head: str) -> Observation:
    obs = Observation()
    obs.http_response = head
    obs.handshake_status = head.split("\r\n", 1)[0]
    return obs


def test_exports() -> None:
    for name in hv.__all__:
        assert hasattr(hv, name)


def test_response_headers_are_read_leniently() -> None:
    head = (
        "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nbroken\r\nA: b\r\n"
        "\r\nX: body"
    )
    assert hv.response_headers(head) == [("Sec-WebSocket-Version", "13"), ("A", "b")]
    assert hv.response_headers(None) == []


def test_a_refusal_is_ok() -> None:
    verdicts = hv.judge_case(
        _server("hs.1.1"), _answered("HTTP/1.1 405 Method Not Allowed\r\n\r\n")
    )
    assert (str(verdicts.behavior), str(verdicts.behavior_close)) == ("OK", "OK")
    assert "405 Method Not Allowed" in verdicts.result


def test_a_5xx_refusal_is_non_strict() -> None:
    verdicts = hv.judge_case(
        _server("hs.1.3"), _answered("HTTP/1.1 505 HTTP Version Not Supported\r\n\r\n")
    )
    assert str(verdicts.behavior) == "NON-STRICT"
    assert "5xx" in verdicts.result


@pytest.mark.parametrize(
    ("head", "behavior"),
    [
        ("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\n\r\n", "OK"),
        ("HTTP/1.1 400 Bad Request\r\nsec-websocket-version: 8, 13\r\n\r\n", "OK"),
        ("HTTP/1.1 400 Bad Request\r\n\r\n", "FAILED"),
        ("HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 8\r\n\r\n", "FAILED"),
    ],
)
def test_a_version_refusal_lists_13(head: str, behavior: str) -> None:
    assert str(hv.judge_case(_server("hs.4.2"), _answered(head)).behavior) == behavior


def test_no_answer_in_time_is_failed() -> None:
    obs = Observation()
    obs.was_open_handshake_timeout = True
    obs.handshake_failure = "no answer within 5 s"
    verdicts = hv.judge_case(_server("hs.5.7"), obs)
    assert str(verdicts.behavior) == "FAILED"
    assert "no answer within 5 s" in verdicts.result


def test_a_close_without_answer_follows_the_case() -> None:
    # A bounded request may be closed on; a bad key must be answered.
    assert str(hv.judge_case(_server("hs.5.7"), Observation()).behavior) == "OK"
    closed = hv.judge_case(_server("hs.3.1"), Observation())
    assert str(closed.behavior) == "FAILED"
    assert closed.result.startswith("The server closed the connection without an HTTP answer.")


def test_an_answer_that_is_not_http_is_failed() -> None:
    obs = Observation()
    obs.handshake_status = "SSH-2.0-OpenSSH"
    assert str(hv.judge_case(_server("hs.1.1"), obs).behavior) == "FAILED"


def test_accepting_a_request_to_refuse() -> None:
    obs = _answered("HTTP/1.1 101 Switching Protocols\r\n\r\n")
    assert str(hv.judge_case(_server("hs.2.1"), obs).behavior) == "FAILED"
    # Too big to be worth processing, yet processed: NON-STRICT (RFC 9110 section 5.4).
    assert str(hv.judge_case(_server("hs.5.7"), obs).behavior) == "NON-STRICT"


def test_a_101_that_failed_the_tester_checks() -> None:
    obs = _answered("HTTP/1.1 101 Switching Protocols\r\n\r\n")
    obs.handshake_failure = "missing Sec-WebSocket-Accept header"
    verdicts = hv.judge_case(_server("hs.2.5"), obs)
    assert (str(verdicts.behavior), str(verdicts.behavior_close)) == ("FAILED", "FAILED")
    assert "missing Sec-WebSocket-Accept" in verdicts.result


def _opened(extensions: str) -> Observation:
    obs = _answered(
        f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: {extensions}\r\n\r\n"
    )
    obs.opened = True
    return obs


@pytest.mark.parametrize(
    ("case_id", "extensions", "problem"),
    [
        ("hs.8.8", "permessage-deflate; server_max_window_bits=11", "above the 10 offered"),
        ("hs.8.8", "permessage-deflate", "without server_max_window_bits"),
        ("hs.8.20", "permessage-deflate; server_max_window_bits=13", "above the 12 offered"),
        ("hs.8.12", "permessage-deflate", "every offer was invalid"),
    ],
)
def test_deflate_answers_are_checked(case_id: str, extensions: str, problem: str) -> None:
    verdicts = hv.judge_case(_server(case_id), _opened(extensions))
    assert str(verdicts.behavior) == "FAILED"
    assert problem in verdicts.result


def test_a_smaller_window_is_not_a_deflate_problem() -> None:
    # The echo never came in this record, so the verdict is the echo's: not the window.
    verdicts = hv.judge_case(
        _server("hs.8.8"), _opened("permessage-deflate; server_max_window_bits=9")
    )
    assert "window" not in verdicts.result


def _answered_client() -> Observation:
    obs = Observation()
    obs.opened = True  # the tester wrote its answer
    return obs


def test_a_client_whose_request_was_refused_fails() -> None:
    obs = Observation()
    obs.handshake_failure = "missing Sec-WebSocket-Version header"
    verdicts = hv.judge_case(_client("hc.1.1"), obs)
    assert str(verdicts.behavior) == "FAILED"
    assert "missing Sec-WebSocket-Version" in verdicts.result


def test_a_client_that_closes_passes() -> None:
    obs = _answered_client()
    verdicts = hv.judge_case(_client("hc.1.1"), obs)
    assert str(verdicts.behavior) == "OK" and "closed TCP" in verdicts.result
    obs.remote_close_code = 1002
    assert "close frame (1002)" in hv.judge_case(_client("hc.1.1"), obs).result


def test_a_client_that_echoes_fails() -> None:
    obs = _answered_client()
    obs.rx_frame_stats = {1: 1, 8: 1}
    verdicts = hv.judge_case(_client("hc.4.1"), obs)
    assert str(verdicts.behavior) == "FAILED" and "1 data frame" in verdicts.result


def test_a_client_that_waits_fails() -> None:
    obs = _answered_client()
    obs.failed_by_me = True
    obs.log(KillAfterFired())
    verdicts = hv.judge_case(_client("hc.2.1"), obs)
    assert str(verdicts.behavior) == "FAILED" and "within 2 s" in verdicts.result


def test_a_client_that_keeps_the_connection_fails() -> None:
    obs = _answered_client()
    obs.log(RxOctets.of(b"GET /runCase?case=1 HTTP/1.1\r\n"))
    obs.log(RxOctets.of(b"GET /runCase?case=2 HTTP/1.1\r\n"))
    obs.failed_by_me = True
    verdicts = hv.judge_case(_client("hc.2.1"), obs)
    assert str(verdicts.behavior) == "FAILED" and "next HTTP request" in verdicts.result


def test_a_client_that_sends_garbage_fails() -> None:
    obs = _answered_client()
    obs.failed_by_me = True
    obs.local_close_reason = b"RSV = 4 and no extension negotiated"
    verdicts = hv.judge_case(_client("hc.2.1"), obs)
    assert str(verdicts.behavior) == "FAILED" and "RSV = 4" in verdicts.result


def test_a_client_that_refuses_a_valid_answer_fails() -> None:
    verdicts = hv.judge_case(_client("hc.6.4"), _answered_client())
    assert str(verdicts.behavior) == "FAILED"
    assert "without using it" in verdicts.result


def test_other_cases_keep_autobahns_rules() -> None:
    verdicts = hv.judge_case(catalog.get("1.1.1"), Observation())
    assert str(verdicts.behavior) == "FAILED"
    assert "opening handshake did not complete" in verdicts.result


def test_a_page_answers_a_plain_http_request_only() -> None:
    page = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    assert str(hv.judge_case(_server("hs.2.3"), _answered(page)).behavior) == "OK"
    verdicts = hv.judge_case(_server("hs.3.2"), _answered(page))
    assert str(verdicts.behavior) == "NON-STRICT"
    assert "appropriate error code" in verdicts.result
