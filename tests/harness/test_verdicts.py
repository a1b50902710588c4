"""Every verdict rule of docs/autobahn.md section 3, on hand-built observation records.

Each scenario is a peer behaving right or wrong in one of the ways the catalog
describes; the observation is what the tester would have recorded.
"""

from __future__ import annotations

import hashlib

import pytest

from wsconform.cases import catalog, testdata
from wsconform.cases.model import (
    BINARY,
    NON_STRICT,
    OK,
    TEXT,
    Alternative,
    Case,
    EchoLoop,
    ExpectEcho,
    ExpectedClose,
    Informational,
    Message,
    Pong,
    SendFrame,
    SendMessage,
    Timeout,
    Verdict,
)
from wsconform.harness import verdicts
from wsconform.harness.record.observation import RECEIVED_LIMIT, Observation
from wsconform.harness.record.outcome import CloseVerdict, Outcome
from wsconform.harness.verdicts import (
    EchoLoopJudge,
    auto_close_due,
    deflate_missing,
    echo_waiting,
    judge,
    judge_echo,
)

HELLO = Message(b"Hello, world!")
TESTER_CLEAN = ExpectedClose(True, (1000,), True)
PEER_1002 = ExpectedClose(False, (1002,), False)
PEER_1007_FATAL = ExpectedClose(False, (1007,), False, fatal_wrong_endpoint=True)


def case(case_id: str = "1.1.1", **kwargs: object) -> Case:
    fields: dict[str, object] = {
        "description": "d",
        "expectation": "e",
        "steps": (),
        "expected": {OK: (HELLO,)},
        "expected_close": TESTER_CLEAN,
    }
    fields.update(kwargs)
    return Case(case_id, **fields)  # type: ignore[arg-type]


def closed_by_tester(*events: Message | Pong | Timeout, code: int | None = 1000) -> Observation:
    """The tester closed first and the peer answered (then closed TCP)."""
    obs = Observation(opened=True, closed_by_me=True, was_clean=True, remote_close_code=code)
    obs.local_close_code = 1000
    for event in events:
        obs.record(event)
    return obs


def peer_closed(*events: Message | Pong | Timeout, code: int | None = 1002) -> Observation:
    """The peer failed the connection with a close frame and closed TCP."""
    obs = Observation(opened=True, closed_by_me=False, was_clean=True, remote_close_code=code)
    for event in events:
        obs.record(event)
    return obs


def killed(*events: Message | Pong | Timeout, answered: bool = True) -> Observation:
    """A silent peer: killAfter fired, the tester sent 1001 and failed the connection."""
    obs = Observation(opened=True, closed_by_me=True, failed_by_me=True)
    obs.local_close_code, obs.local_close_reason = 1001, b"Going Away"
    if answered:
        obs.was_clean, obs.remote_close_code = True, 1000
    else:
        obs.was_close_handshake_timeout, obs.dropped_by_me = True, True
        obs.was_not_clean_reason = "peer did not finish the closing handshake in time"
    for event in events:
        obs.record(event)
    return obs


def test_exports() -> None:
    for name in verdicts.__all__:
        assert hasattr(verdicts, name), name


def test_exact_echo_is_ok() -> None:
    result = judge(case(), closed_by_tester(HELLO))
    assert (result.behavior, result.behavior_close) == (Verdict.OK, CloseVerdict.OK)


def test_wrong_type_wrong_bytes_or_extra_events_fail() -> None:
    for events in (
        (Message(b"Hello, world!", binary=True),),
        (Message(b"Hello, world?"),),
        (HELLO, HELLO),
        (HELLO, Pong(b"")),
        (),
    ):
        result = judge(case(), closed_by_tester(*events))
        assert result.behavior is Verdict.FAILED, events
        assert result.result.startswith("The peer sent ")
        assert "but a conforming peer sends" in result.result


def test_alternatives_are_tried_in_order() -> None:
    c = case("3.2", expected={OK: (HELLO,), NON_STRICT: ()}, expected_close=PEER_1002)
    assert judge(c, peer_closed(HELLO)).behavior is Verdict.OK
    assert judge(c, peer_closed()).behavior is Verdict.NON_STRICT
    # A pong in the received list (the peer answered the ping after the bad frame).
    assert judge(c, peer_closed(HELLO, Pong(b""))).behavior is Verdict.FAILED


def test_silent_peer_in_fail_case_keeps_behavior_ok() -> None:
    # 2.5, 3.x, 4.x, 5.x: OK = [] and no fatal flag: only the close verdict fails.
    c = case("2.5", expected={OK: ()}, expected_close=PEER_1002)
    result = judge(c, killed())
    assert result.behavior is Verdict.OK
    assert result.behavior_close is CloseVerdict.FAILED
    assert result.result_close.startswith("The peer did not close the connection itself")
    assert "should have closed first with 1002 (protocol error)" in result.result_close


def test_late_pong_fails_2_5() -> None:
    c = case("2.5", expected={OK: ()}, expected_close=PEER_1002)
    result = judge(c, peer_closed(Pong(b"\xfe" * 126)))
    assert result.behavior is Verdict.FAILED
    assert result.behavior_close is CloseVerdict.OK


def test_wrong_close_code() -> None:
    c = case("6.5.1", expected={OK: ()}, expected_close=PEER_1007_FATAL)
    result = judge(c, peer_closed(code=1002))
    # 6.x: a 1002 instead of 1007 keeps behavior OK.
    assert (result.behavior, result.behavior_close) == (Verdict.OK, CloseVerdict.WRONG_CODE)
    assert "1007" in result.result_close
    # A close frame without a body carries no code and is acceptable.
    assert judge(c, peer_closed(code=None)).behavior_close is CloseVerdict.OK


def test_wrong_code_list_is_comma_joined() -> None:
    c = case("7.5.1", expected={OK: ()}, expected_close=ExpectedClose(True, (1002, 1007), False))
    result = judge(c, closed_by_tester(code=1000))
    assert result.behavior_close is CloseVerdict.WRONG_CODE
    assert "1002 (protocol error) or 1007 (invalid frame payload data)" in result.result_close


def test_unclean_close() -> None:
    obs = Observation(opened=True, closed_by_me=True, dropped_by_me=True)
    obs.was_close_handshake_timeout = True
    obs.record(HELLO)
    result = judge(case(), obs)
    assert result.behavior is Verdict.OK
    assert result.behavior_close is CloseVerdict.UNCLEAN
    # Not required clean: the same drop passes (here in server mode, so no rule 4).
    c = case("7.3.2", expected={OK: ()}, expected_close=ExpectedClose(True, (1002,), False))
    obs = Observation(opened=True, closed_by_me=True, dropped_by_me=True, is_server=True)
    assert judge(c, obs).behavior_close is CloseVerdict.OK


def test_rule_order_wrong_side_before_unclean_before_wrong_code() -> None:
    # Wrong side and unclean and wrong code at once: wrong side wins.
    obs = Observation(opened=True, closed_by_me=False, was_clean=False, remote_close_code=1002)
    assert judge(case(), obs).behavior_close is CloseVerdict.FAILED
    # Unclean and wrong code: unclean wins.
    obs = Observation(opened=True, closed_by_me=True, was_clean=False, remote_close_code=1002)
    assert judge(case(), obs).behavior_close is CloseVerdict.UNCLEAN
    # Wrong code and dropped by me (client): wrong code wins.
    obs = Observation(opened=True, closed_by_me=True, was_clean=True, remote_close_code=1002)
    obs.dropped_by_me = True
    assert judge(case(), obs).behavior_close is CloseVerdict.WRONG_CODE


def test_failed_by_client_only_in_client_mode() -> None:
    # The server answered our close but never closed TCP: the tester dropped it.
    c = case("7.3.2", expected={OK: ()}, expected_close=ExpectedClose(True, (1002,), False))
    obs = closed_by_tester(code=1002)
    obs.dropped_by_me = True
    obs.was_server_connection_drop_timeout = True
    result = judge(c, obs)
    assert result.behavior_close is CloseVerdict.FAILED_BY_CLIENT
    obs.is_server = True
    assert judge(c, obs).behavior_close is CloseVerdict.OK


def test_handshake_never_completed() -> None:
    # Even a case whose OK list is [] fails: nothing was ever observed.
    c = case("2.5", expected={OK: ()}, expected_close=PEER_1002)
    obs = Observation(opened=False, was_open_handshake_timeout=True, dropped_by_me=True)
    result = judge(c, obs)
    assert (result.behavior, result.behavior_close) == (Verdict.FAILED, CloseVerdict.FAILED)
    assert "opening handshake did not complete" in result.result_close
    # Case logic cannot rescue it either.
    obs.logic_behavior = Verdict.OK
    assert judge(c, obs).behavior is Verdict.FAILED


def test_echo_of_invalid_utf8_is_fatal() -> None:
    # The peer echoed invalid UTF-8; the tester's own check failed the connection with
    # 1007, so the tester closed first: the fatal flag turns behavior into FAILED.
    c = case("6.3.1", expected={OK: ()}, expected_close=PEER_1007_FATAL)
    obs = Observation(opened=True, closed_by_me=True, failed_by_me=True, was_clean=True)
    obs.local_close_code, obs.remote_close_code = 1007, 1000
    result = judge(c, obs)
    assert result.behavior is Verdict.FAILED
    assert result.behavior_close is CloseVerdict.FAILED
    # Without the flag (a 3.x case) the same record keeps behavior OK.
    plain = case("3.1", expected={OK: ()}, expected_close=PEER_1002)
    assert judge(plain, obs).behavior is Verdict.OK


def test_fail_fast_6_4() -> None:
    c = case(
        "6.4.1",
        expected={OK: (Timeout("A"),), NON_STRICT: (Timeout("A"), Timeout("B"))},
        expected_close=PEER_1007_FATAL,
    )
    assert judge(c, peer_closed(Timeout("A"), code=1007)).behavior is Verdict.OK
    late = peer_closed(Timeout("A"), Timeout("B"), code=1007)
    assert judge(c, late).behavior is Verdict.NON_STRICT
    # Rejected the valid first part: [] matches nothing.
    assert judge(c, peer_closed(code=1007)).behavior is Verdict.FAILED
    # Never failed: killAfter closed, the fatal flag fails even a matching list.
    result = judge(c, killed(Timeout("A"), Timeout("B")))
    assert (result.behavior, result.behavior_close) == (Verdict.FAILED, CloseVerdict.FAILED)


def test_wrong_code_override_in_section_7() -> None:
    c = case(
        "7.9.1",
        expected={OK: ()},
        expected_close=ExpectedClose(True, (1002,), False),
        wrong_code_fails=True,
        suppress_auto_close=True,
    )
    result = judge(c, closed_by_tester(code=1000))
    assert (result.behavior, result.behavior_close) == (Verdict.FAILED, CloseVerdict.WRONG_CODE)
    assert result.result == result.result_close
    assert judge(c, closed_by_tester(code=1002)).behavior is Verdict.OK


def test_informational_7_1_6() -> None:
    info = Informational(results={Verdict.OK: "message first", Verdict.NON_STRICT: "close first"})
    c = case(
        "7.1.6",
        expected={OK: (Message(b"Hello World!"),), NON_STRICT: ()},
        informational=info,
        suppress_auto_close=True,
    )
    for obs, text in (
        (closed_by_tester(Message(b"Hello World!")), "message first"),
        (closed_by_tester(), "close first"),
        (closed_by_tester(Message(b"x"), Message(b"Hello World!")), "The peer sent text 'x'"),
    ):
        result = judge(c, obs)
        assert result.behavior is Verdict.INFORMATIONAL
        assert result.behavior_close is CloseVerdict.INFORMATIONAL
        assert result.result.startswith(text)
    # Even a wrong endpoint and a dropped connection are only information.
    result = judge(c, killed(answered=False))
    assert result.behavior_close is CloseVerdict.INFORMATIONAL


def test_informational_7_13() -> None:
    c = case(
        "7.13.1",
        expected={OK: ()},
        expected_close=ExpectedClose(True, (1000, 5000, 1002), False),
        informational=Informational(result="undefined"),
    )
    result = judge(c, closed_by_tester(code=4000))
    assert (result.behavior, result.behavior_close) == (
        Verdict.INFORMATIONAL,
        CloseVerdict.INFORMATIONAL,
    )
    assert result.result == "undefined"


def test_frame_count_override_10_1_1() -> None:
    c = case(
        "10.1.1",
        expected={OK: (Message(b"*" * 65536),)},
        expected_tx_frames={0: 50, 1: 1},
    )
    obs = closed_by_tester(Message(b"*" * 65536))
    obs.tx_frame_stats.update({1: 1, 0: 50, 8: 1})
    assert judge(c, obs).behavior is Verdict.OK
    obs.tx_frame_stats[0] = 51
    result = judge(c, obs)
    assert result.behavior is Verdict.FAILED
    assert "51" in result.result
    obs.tx_frame_stats.clear()
    assert judge(c, obs).behavior is Verdict.FAILED


def test_case_logic_behavior_is_kept() -> None:
    c = case("9.1.1", expected={})
    obs = closed_by_tester()
    obs.logic_behavior, obs.logic_result = Verdict.OK, "fine"
    assert (judge(c, obs).behavior, judge(c, obs).result) == (Verdict.OK, "fine")
    obs.logic_behavior = Verdict.UNIMPLEMENTED
    assert judge(c, obs).behavior is Verdict.UNIMPLEMENTED
    # Case logic never set (e.g. the peer closed before the step ran): FAILED.
    assert judge(c, closed_by_tester()).behavior is Verdict.FAILED


def test_truncated_received_list_never_matches() -> None:
    c = case("2.5", expected={OK: ()}, expected_close=PEER_1002)
    obs = peer_closed()
    for _ in range(RECEIVED_LIMIT + 1):
        obs.record(Pong(b""))
    obs.received.clear()  # even if the kept list were to look right
    assert obs.received_truncated
    assert judge(c, obs).behavior is Verdict.FAILED
    assert not auto_close_due(case(expected={OK: ()}), obs)


def test_auto_close_rule() -> None:
    single = case()
    assert not auto_close_due(single, closed_by_tester())
    assert auto_close_due(single, closed_by_tester(HELLO))
    assert not auto_close_due(single, closed_by_tester(HELLO, HELLO))
    # Two different alternatives: never.
    two = case(expected={OK: (HELLO,), NON_STRICT: ()})
    assert not auto_close_due(two, closed_by_tester(HELLO))
    # The peer is expected to close, or the case suppresses it: never.
    assert not auto_close_due(case(expected_close=PEER_1002), closed_by_tester(HELLO))
    assert not auto_close_due(case(suppress_auto_close=True), closed_by_tester(HELLO))
    # No alternatives at all (9.x, 12, 13): vacuously due, as in Autobahn.
    assert auto_close_due(case("9.1.1", expected={}), closed_by_tester(Pong(b"")))


def test_echo_check_9_1_to_9_6() -> None:
    step = ExpectEcho(binary=False, length=65536, wait=10)
    assert echo_waiting(step).behavior is Verdict.FAILED
    assert "65536-byte text message" in echo_waiting(step).result
    assert judge_echo(step, False, 65536).behavior is Verdict.OK
    wrong_type = judge_echo(step, True, 65536)
    assert wrong_type.behavior is None
    assert "binary" in wrong_type.result
    wrong_length = judge_echo(step, False, 65535)
    assert wrong_length.behavior is None
    assert "65535" in wrong_length.result


def test_deflate_missing() -> None:
    assert deflate_missing().behavior is Verdict.UNIMPLEMENTED


def test_pattern_loop_9_7() -> None:
    loop = EchoLoop(count=3, length=16, binary=True, wait=60, pattern=b"\xfe")
    judge_ = EchoLoopJudge(loop)
    outcome, first = judge_.start()
    assert outcome.behavior is Verdict.FAILED
    assert first == SendFrame(BINARY, b"\xfe", repeat_length=16)
    reply = judge_.on_message(b"\xfe" * 16, True)
    assert reply.outcome is None
    assert reply.send == first
    # No content check in 9.7/9.8: only type and length.
    reply = judge_.on_message(b"x" * 16, True)
    assert reply.send is not None
    reply = judge_.on_message(b"\xfe" * 16, True)
    assert reply.send is None
    assert reply.outcome is not None
    assert reply.outcome.behavior is Verdict.OK
    assert not reply.capture_traffic_stats
    assert judge_.count == 3


def test_pattern_loop_mismatch() -> None:
    loop = EchoLoop(count=1000, length=0, binary=False, wait=60, pattern=b"*")
    judge_ = EchoLoopJudge(loop)
    assert judge_.start()[1] == SendFrame(TEXT, b"*", repeat_length=0)
    reply = judge_.on_message(b"", True)
    assert reply.send is None
    assert reply.outcome is not None
    assert reply.outcome.behavior is Verdict.FAILED
    assert "type" in reply.outcome.result


def test_data_file_loop_ring_and_sha1() -> None:
    data = "ab\u00e9cd\u20ac".encode()  # 6 code points, 9 bytes
    loop = EchoLoop(count=4, length=4, binary=False, wait=60, data_file="x.json")
    judge_ = EchoLoopJudge(loop, data)
    _, step = judge_.start()
    sends = [step]
    for _ in range(3):
        assert isinstance(step, SendMessage)
        reply = judge_.on_message(step.payload, False)
        if reply.send is None:
            break
        step = reply.send
        sends.append(step)
    payloads = [s.payload for s in sends if isinstance(s, SendMessage)]
    # Four code points at a time, wrapping: abéc, d€ab, éc d€ ...
    assert payloads[:3] == ["ab\u00e9c".encode(), "d\u20acab".encode(), "\u00e9cd\u20ac".encode()]
    assert all(not s.binary for s in sends if isinstance(s, SendMessage))


def test_data_file_loop_checks_length_then_content() -> None:
    data = bytes(range(256)) * 4
    loop = EchoLoop(count=2, length=16, binary=True, wait=60, data_file="lena512.bmp")
    judge_ = EchoLoopJudge(loop, data)
    _, step = judge_.start()
    assert isinstance(step, SendMessage)
    reply = judge_.on_message(step.payload[:-1], True)
    assert reply.outcome is not None
    assert "length" in reply.outcome.result
    judge_ = EchoLoopJudge(loop, data)
    _, step = judge_.start()
    assert isinstance(step, SendMessage)
    bad = bytes(16)
    reply = judge_.on_message(bad, True)
    assert reply.outcome is not None
    assert hashlib.sha1(bad).hexdigest() in reply.outcome.result
    judge_ = EchoLoopJudge(loop, data)
    _, step = judge_.start()
    assert isinstance(step, SendMessage)
    reply = judge_.on_message(step.payload, True)
    assert isinstance(reply.send, SendMessage)
    reply = judge_.on_message(reply.send.payload, True)
    assert reply.outcome is not None
    assert reply.outcome.behavior is Verdict.OK
    assert reply.capture_traffic_stats


def test_data_file_loop_needs_data() -> None:
    loop = EchoLoop(count=2, length=16, binary=True, wait=60, data_file="lena512.bmp")
    with pytest.raises(ValueError):
        EchoLoopJudge(loop)


# --- the rules on real catalog cases ---------------------------------------------------


def test_catalog_7_9_1_echoing_1000_is_failed() -> None:
    result = judge(catalog.get("7.9.1"), closed_by_tester(code=1000))
    assert (result.behavior, result.behavior_close) == (Verdict.FAILED, CloseVerdict.WRONG_CODE)
    result = judge(catalog.get("7.9.1"), closed_by_tester(code=1002))
    assert (result.behavior, result.behavior_close) == (Verdict.OK, CloseVerdict.OK)


def test_catalog_6_3_1_echo_of_invalid_utf8() -> None:
    obs = Observation(opened=True, closed_by_me=True, failed_by_me=True, was_clean=True)
    obs.local_close_code, obs.remote_close_code = 1007, 1007
    result = judge(catalog.get("6.3.1"), obs)
    assert (result.behavior, result.behavior_close) == (Verdict.FAILED, CloseVerdict.FAILED)
    result = judge(catalog.get("6.3.1"), peer_closed(code=1007))
    assert (result.behavior, result.behavior_close) == (Verdict.OK, CloseVerdict.OK)


def test_catalog_12_without_deflate_is_unimplemented() -> None:
    obs = closed_by_tester()
    outcome = deflate_missing()
    obs.logic_behavior, obs.logic_result = outcome.behavior, outcome.result
    result = judge(catalog.get("12.1.1"), obs)
    assert (result.behavior, result.behavior_close) == (Verdict.UNIMPLEMENTED, CloseVerdict.OK)


def test_catalog_12_4_1_loop_on_generated_html() -> None:
    step = catalog.get("12.4.1").steps[-1]
    assert isinstance(step, EchoLoop)
    judge_ = EchoLoopJudge(step, testdata.generate("html_data1"))
    _, send = judge_.start()
    sent = 0
    while True:
        assert isinstance(send, SendMessage)
        assert len(send.payload.decode("utf-8")) == 16  # LEN counts code points
        sent += 1
        reply = judge_.on_message(send.payload, False)
        if reply.send is None:
            break
        send = reply.send
    assert sent == 1000
    assert reply.outcome is not None
    assert reply.outcome.behavior is Verdict.OK
    assert reply.capture_traffic_stats


def _echo_case(wait: float = 100) -> Case:
    step = ExpectEcho(binary=False, length=16 * 2**20, wait=wait)
    return case(
        "9.1.6", expected={}, steps=(step,), expected_close=ExpectedClose(True, (1000,), True)
    )


def test_9x_reason_says_the_peer_closed_with_1009_rather_than_a_timeout() -> None:
    """A peer that refuses a 16 MiB message at once: the reason names its close, not 100 s."""
    c = _echo_case()
    obs = peer_closed(code=1009)
    waiting = echo_waiting(c.steps[0])  # type: ignore[arg-type]
    obs.logic_behavior, obs.logic_result = waiting.behavior, waiting.result
    result = judge(c, obs)
    assert result.behavior is Verdict.FAILED
    assert result.result == (
        "No echo of the 16777216-byte text message came back; the peer closed the "
        "connection with close code 1009 (message too big)."
    )
    assert "100 s" not in result.result
    # When the wait ran out, the tester closed: then the time is what happened.
    obs = closed_by_tester()
    obs.logic_behavior, obs.logic_result = waiting.behavior, waiting.result
    assert judge(c, obs).result.endswith("the tester closed the connection when its 100 s were up.")


def test_unclean_reason_describes_what_happened() -> None:
    """7.3.1: the peer's close came at once but was invalid; the reason says so."""
    c = case("7.3.1", expected={OK: ()}, expected_close=ExpectedClose(True, (1000,), True))
    obs = Observation(opened=True, closed_by_me=True, failed_by_me=True, dropped_by_me=True)
    obs.remote_close_code = 999
    obs.was_not_clean_reason = "the tester failed the closing handshake: invalid close code 999"
    result = judge(c, obs)
    assert result.behavior_close is CloseVerdict.UNCLEAN
    assert "never came" not in result.result_close
    assert result.result_close == (
        "The connection did not close cleanly: the tester failed the closing handshake: "
        "invalid close code 999."
    )
    timed_out = killed(answered=False)
    assert "never answered the tester's close frame in time" in judge(c, timed_out).result_close


def test_every_non_ok_verdict_carries_a_reason() -> None:
    """No verdict that is not OK comes with the text of a rule it did not meet."""
    fail_case = case(expected={OK: ()}, expected_close=PEER_1002)
    for obs in (closed_by_tester(HELLO), peer_closed(HELLO), killed(), killed(answered=False)):
        for c in (case(), fail_case):
            result = judge(c, obs)
            if result.behavior is not Verdict.OK:
                assert result.result.startswith("The peer"), result
            if result.behavior_close is not CloseVerdict.OK:
                assert result.result_close.startswith("The "), result
                assert (
                    "should" in result.result_close
                    or "must" in result.result_close
                    or ("cleanly" in result.result_close)
                ), result


# --- alternatives with their own close expectation (wsconform's families) ----------------


def _non_minimal_case() -> Case:
    """fr.1's shape: the peer fails with 1002 (OK), or echoes and the tester closes."""
    echo = Alternative((HELLO,), ExpectedClose(True, (1000, 1001), True), "tolerated.")
    return case("fr.1.2", expected={OK: ()}, expected_close=PEER_1002, alternatives=(echo,))


def test_an_alternative_ending_earns_its_verdict_with_its_reason() -> None:
    c = _non_minimal_case()
    assert judge(c, peer_closed()).outcome is Outcome.OK
    echoed = judge(c, killed(HELLO))
    assert (echoed.behavior, echoed.behavior_close) == (Verdict.NON_STRICT, CloseVerdict.OK)
    assert echoed.result.startswith("The peer sent text 'Hello, world!'")
    assert echoed.result.endswith("tolerated.")
    # Neither ending: the case's own verdicts, not the alternative's.
    own = judge(c, killed(HELLO, HELLO))
    assert own == verdicts.judge_expected(c, killed(HELLO, HELLO))
    assert own.behavior is Verdict.FAILED


def test_a_peer_that_matches_neither_ending_keeps_the_case_verdict() -> None:
    # A peer that both echoed and failed first matches neither: the case's own rule.
    c = _non_minimal_case()
    result = judge(c, peer_closed(HELLO))
    assert result.behavior is Verdict.FAILED
    assert "but a conforming peer sends nothing" in result.result


def test_an_alternative_may_accept_another_close_code() -> None:
    # fr.2's shape: 1002 is OK, 1009 is tolerated, anything else keeps WRONG CODE.
    too_big = Alternative((), ExpectedClose(False, (1009,), False), "1009 tolerated.")
    c = case(
        "fr.2.1", expected={OK: ()}, expected_close=PEER_1002, wrong_code_fails=True,
        alternatives=(too_big,),
    )  # fmt: skip
    assert judge(c, peer_closed(code=1009)).behavior is Verdict.NON_STRICT
    other = judge(c, peer_closed(code=1011))
    assert (other.behavior, other.behavior_close) == (Verdict.FAILED, CloseVerdict.WRONG_CODE)


def test_echoed_goes_on_as_on_message_would_and_leaves_the_rest_to_it() -> None:
    data = "ab\u00e9cd\u20ac".encode()
    loop = EchoLoop(count=3, length=4, binary=False, wait=60, data_file="x.json")
    fast, slow = EchoLoopJudge(loop, data), EchoLoopJudge(loop, data)
    fast.start()
    _, step = slow.start()
    for _ in range(2):
        assert isinstance(step, SendMessage)
        assert fast.payload == slow.payload == step.payload
        # A mismatch, or the wrong type, changes nothing: on_message judges it.
        assert not fast.echoed(b"nope", False) and not fast.echoed(step.payload, True)
        assert fast.echoed(step.payload, False)
        reply = slow.on_message(step.payload, False)
        assert reply.send is not None
        step = reply.send
        assert fast.payload == slow.payload and fast.count == slow.count
    # The last echo ends the loop: on_message's reply.
    assert not fast.echoed(fast.payload, False)
    reply = fast.on_message(fast.payload, False)
    assert reply.send is None and reply.outcome is not None
    assert reply.outcome.behavior is Verdict.OK


def test_echoed_leaves_pattern_loops_to_on_message() -> None:
    loop = EchoLoop(count=3, length=4, binary=True, wait=60, pattern=b"*")
    judge_ = EchoLoopJudge(loop)
    judge_.start()
    assert not judge_.echoed(b"****", True)
    assert judge_.on_message(b"****", True).send is not None
