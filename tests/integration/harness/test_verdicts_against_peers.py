"""Every verdict rule of the catalog (section 3) end to end: the real runner, real sockets,
and peers that behave right or wrong in the ways the catalog describes (:mod:`tests.peers`).

Each test serves one or more peers on free ports, runs a few well-chosen cases through
the scheduler (many at once, each on its own connection), and checks the per-case JSON
record: ``behavior``, ``behaviorClose`` and the fields the verdicts come from
(``closedByMe``, ``failedByMe``, ``droppedByMe``, ``wasClean``, ``remoteCloseCode``,
``localCloseCode`` and the three timeout flags; docs/autobahn.md sections 5 and 4.2).

The tester's library timers stay at Autobahn's values (1 s) unless a test says
otherwise, because the cases' own timers (killAfter 1 s, closeAfter 1 s) are fixed and
the verdicts depend on which fires first. Test timeouts use :func:`tests.timing.unit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Mapping

import pytest

from tests.peers import (
    ClosingPeer,
    DeafPeer,
    DeferredEchoPeer,
    DroppingPeer,
    EchoPeer,
    LatePongPeer,
    LingeringPeer,
    MaskingPeer,
    NaiveEchoPeer,
    NoHandshakePeer,
    PeerConnection,
    RecodingPeer,
    RejectingPeer,
    SilentPeer,
    Utf8AtEndPeer,
    WrongPongPeer,
    tuned,
)
from tests.peers.running import Expect, expect, mismatches, run, run_cases_at, run_peer
from tests.timing import unit
from wsconform.harness.commands import conformance
from wsconform.harness.gate import evaluate
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import Timeouts

# Shorthands for the expectation tables.
OK, NS, FAILED, INFO = "OK", "NON-STRICT", "FAILED", "INFORMATIONAL"
UNCLEAN, WRONG_CODE, BY_CLIENT = "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT"

#: The tester failed the connection through killAfter: close 1001, then no reply.
KILLED_UNANSWERED = {
    "closedByMe": True,
    "failedByMe": True,
    "localCloseCode": 1001,
    "wasCloseHandshakeTimeout": True,
    "droppedByMe": True,
    "wasClean": False,
    "remoteCloseCode": None,
}
#: The peer started the close (or failed the connection) with a close frame, cleanly.
PEER_CLOSED = {"closedByMe": False, "droppedByMe": False, "wasClean": True}
#: The tester closed, the peer answered and closed TCP.
TESTER_CLOSED = {"closedByMe": True, "droppedByMe": False, "wasClean": True}


def check(peer: type[PeerConnection], expected: Mapping[str, Expect], **kwargs: object) -> None:
    """Run the cases of ``expected`` against ``peer`` and compare every record."""
    report = run(run_peer(peer, expected, **kwargs), unit(30))  # type: ignore[arg-type]
    assert mismatches(report, expected) == []


def check_many(runs: Mapping[type[PeerConnection], Mapping[str, Expect]]) -> None:
    """Like :func:`check` for several peers at once (the runs overlap in time)."""

    async def all_runs() -> list[Report]:
        return await asyncio.gather(*(run_peer(peer, cases) for peer, cases in runs.items()))

    reports = run(all_runs(), unit(30))
    found = [
        f"{peer.__name__}: {line}"
        for (peer, expected), report in zip(runs.items(), reports, strict=True)
        for line in mismatches(report, expected)
    ]
    assert found == []


# --- right behaviour ---------------------------------------------------------------------


def test_conforming_peer_passes_a_case_of_every_family() -> None:
    """A conforming echo server gets OK/OK everywhere (INFORMATIONAL for 7.13)."""
    ok = expect(OK, OK)
    check(
        EchoPeer,
        {
            "1.1.1": expect(OK, OK, remoteCloseCode=1000, localCloseCode=1000, **TESTER_CLOSED),
            "1.2.8": ok,
            "2.2": ok,
            "2.10": ok,
            "2.5": expect(OK, OK, remoteCloseCode=1002, **PEER_CLOSED),
            "3.1": expect(OK, OK, remoteCloseCode=1002, **PEER_CLOSED),
            "3.2": ok,
            "4.2.5": ok,
            "5.6": ok,
            "5.15": ok,
            "5.19": ok,
            "6.2.3": ok,
            "6.3.1": expect(OK, OK, remoteCloseCode=1007, **PEER_CLOSED),
            "6.4.1": ok,
            "6.4.4": ok,
            "6.5.1": ok,
            "6.20.1": expect(OK, OK, remoteCloseCode=1007, **PEER_CLOSED),
            "7.1.1": ok,
            "7.1.6": expect(INFO, INFO),
            "7.3.2": expect(OK, OK, remoteCloseCode=1002, **TESTER_CLOSED),
            "7.5.1": ok,
            "7.7.13": expect(OK, OK, remoteCloseCode=4999),
            "7.9.9": ok,
            "7.13.2": expect(INFO, INFO),
            "10.1.1": ok,
        },
    )


# --- a peer that never answers --------------------------------------------------------------


def test_silent_peer() -> None:
    """Never answers, never closes: killAfter closes with 1001 and nobody replies.

    docs/autobahn.md section 3.2: where the OK list is ``[]`` the behaviour stays OK (or
    NON-STRICT, the ``[]`` alternative of case 3.2); only the close verdict fails,
    because the tester closed first. The UTF-8 cases carry the fatal flag, which fails
    ``behavior`` too.
    """
    check(
        SilentPeer,
        {
            "2.5": expect(OK, FAILED, **KILLED_UNANSWERED),
            "3.1": expect(OK, FAILED, **KILLED_UNANSWERED),
            "4.1.1": expect(OK, FAILED, **KILLED_UNANSWERED),
            "5.9": expect(OK, FAILED, **KILLED_UNANSWERED),
            "3.2": expect(NS, FAILED, **KILLED_UNANSWERED),
            "6.3.1": expect(FAILED, FAILED, **KILLED_UNANSWERED),
            "6.8.1": expect(FAILED, FAILED, **KILLED_UNANSWERED),
            # Tester-closes cases: the close was the right side's, but never clean.
            "1.1.1": expect(FAILED, UNCLEAN, **KILLED_UNANSWERED),
            "6.5.1": expect(FAILED, UNCLEAN, **KILLED_UNANSWERED),
            # closeAfter sends an empty close: not a failure of the tester's.
            "2.2": expect(
                FAILED,
                UNCLEAN,
                closedByMe=True,
                failedByMe=False,
                localCloseCode=None,
                wasCloseHandshakeTimeout=True,
            ),
            "7.7.1": expect(OK, UNCLEAN, wasCloseHandshakeTimeout=True, droppedByMe=True),
            # Clean not required: the tester had to drop TCP itself (client mode).
            "7.3.2": expect(OK, BY_CLIENT, wasCloseHandshakeTimeout=True, droppedByMe=True),
        },
    )


def test_deaf_peer_never_answers_the_testers_close() -> None:
    """Echoes, but never sends a close frame: the close-handshake timeout drops TCP."""
    timed_out = {
        "closedByMe": True,
        "wasCloseHandshakeTimeout": True,
        "droppedByMe": True,
        "wasClean": False,
        "remoteCloseCode": None,
    }
    check(
        DeafPeer,
        {
            "2.2": expect(OK, UNCLEAN, failedByMe=False, **timed_out),
            "7.7.1": expect(OK, UNCLEAN, **timed_out),
            "7.3.2": expect(OK, BY_CLIENT, **timed_out),
            "7.9.1": expect(OK, BY_CLIENT, **timed_out),
            # It does not fail the connection either: the tester's killAfter closes.
            "3.1": expect(OK, FAILED, **KILLED_UNANSWERED),
        },
    )


# --- close codes ---------------------------------------------------------------------------


def test_peer_closing_with_a_wrong_code() -> None:
    """Every close it sends says 1000: WRONG CODE where 1002/1007 was due.

    Outside section 7 ``behavior`` keeps its own verdict; in 7.1.1-7.1.5, 7.3.x, 7.5.1,
    7.7.x and 7.9.x WRONG CODE turns ``behavior`` into FAILED with the close text.
    """
    wrong = {"remoteCloseCode": 1000, "wasClean": True}
    check(
        RecodingPeer,
        {
            "2.5": expect(OK, WRONG_CODE, closedByMe=False, **wrong),
            "3.1": expect(OK, WRONG_CODE, closedByMe=False, **wrong),
            "3.2": expect(OK, WRONG_CODE, closedByMe=False, **wrong),
            "6.3.1": expect(OK, WRONG_CODE, closedByMe=False, **wrong),
            "7.3.2": expect(FAILED, WRONG_CODE, closedByMe=True, **wrong),
            "7.5.1": expect(FAILED, WRONG_CODE, closedByMe=True, **wrong),
            "7.9.1": expect(FAILED, WRONG_CODE, closedByMe=True, **wrong),
            "7.9.9": expect(FAILED, WRONG_CODE, closedByMe=True, **wrong),
            # 1000 is in the list of 7.7.x and 1.x: no complaint there.
            "7.7.3": expect(OK, OK, **wrong),
            "1.1.1": expect(OK, OK, **wrong),
            # 7.13 stays INFORMATIONAL whatever happens.
            "7.13.1": expect(INFO, INFO),
        },
    )


def test_wrong_code_in_7_7_fails_behavior_and_copies_the_close_text() -> None:
    """7.7.n accepts 1000 or the code sent; 1003 in reply to 1002 is WRONG CODE, FAILED."""
    report = run(run_peer(tuned(RecodingPeer, close_code=1003), ["7.7.3", "7.7.4"]), unit(30))
    expected = {
        "7.7.3": expect(FAILED, WRONG_CODE, remoteCloseCode=1003),
        "7.7.4": expect(OK, OK, remoteCloseCode=1003),
    }
    assert mismatches(report, expected) == []
    result = report.get("peer", "7.7.3")
    assert result is not None
    assert result.verdicts.result == result.verdicts.result_close
    assert "1000 (OK) or 1002 (protocol error)" in result.verdicts.result_close


def test_close_code_1012_counts_as_invalid() -> None:
    """1012 is registered with IANA, but the tester (Autobahn|Python 0.10.9) fails on it.

    A peer that starts the close with 1011 closed first (wrong side, FAILED); with 1012
    the tester fails the connection with its own 1002 first, so it is the closing side
    and the code is merely wrong. A 1012 reply to the tester's close is a violation
    during the closing handshake: the tester drops TCP.
    """
    closing_1012 = tuned(ClosingPeer, close_code=1012)
    check_many(
        {
            tuned(ClosingPeer, close_code=1011): {
                "1.1.1": expect(FAILED, FAILED, remoteCloseCode=1011, **PEER_CLOSED),
                "5.3": expect(FAILED, FAILED, remoteCloseCode=1011, **PEER_CLOSED),
            },
            closing_1012: {
                "1.1.1": expect(
                    FAILED,
                    WRONG_CODE,
                    remoteCloseCode=1012,
                    closedByMe=True,
                    failedByMe=True,
                    localCloseCode=1002,
                ),
                "5.3": expect(FAILED, WRONG_CODE, remoteCloseCode=1012, localCloseCode=1002),
            },
            tuned(RecodingPeer, close_code=1012): {
                "3.1": expect(OK, FAILED, remoteCloseCode=1012, closedByMe=True, failedByMe=True),
                "7.3.2": expect(
                    FAILED, WRONG_CODE, remoteCloseCode=1012, droppedByMe=True, wasClean=False
                ),
                "7.7.1": expect(OK, UNCLEAN, remoteCloseCode=1012, droppedByMe=True),
            },
        }
    )


# --- how TCP ends ----------------------------------------------------------------------------


def test_peer_dropping_tcp_without_a_close_frame() -> None:
    """Aborts TCP where it should send a close frame: UNCLEAN only where clean is required."""
    dropped = {"wasClean": False, "droppedByMe": False, "remoteCloseCode": None}
    check(
        DroppingPeer,
        {
            "1.1.1": expect(OK, UNCLEAN, closedByMe=True, **dropped),
            "6.5.1": expect(OK, UNCLEAN, closedByMe=True, **dropped),
            "7.1.1": expect(OK, UNCLEAN, closedByMe=True, **dropped),
            "7.7.1": expect(OK, UNCLEAN, closedByMe=True, **dropped),
            # Peer-fails cases do not require a clean close: a drop is a fine way to fail.
            "3.1": expect(OK, OK, closedByMe=False, **dropped),
            "6.3.1": expect(OK, OK, closedByMe=False, **dropped),
            "7.3.2": expect(OK, OK, closedByMe=True, **dropped),
            "7.9.1": expect(OK, OK, closedByMe=True, **dropped),
        },
    )


def test_peer_lingering_after_the_closing_handshake() -> None:
    """Completes the closing handshake but leaves TCP open (docs/autobahn.md section 4.2).

    * The peer started the close (it failed the connection): the tester answers and
      waits with no timer of its own; killAfter then drops TCP: FAILED BY CLIENT.
    * The tester closed in a closeAfter case: the server-drop timeout fires after 1 s
      and the close is no longer clean: UNCLEAN.
    * The tester closed in a killAfter case (1.1.1): killAfter fires (t = 1 s) before
      the server-drop timeout (1 s after the close reply) and drops TCP while CLOSING;
      ``wasClean`` stays true: FAILED BY CLIENT.
    """
    killed_while_closing = {"droppedByMe": True, "failedByMe": True, "wasClean": True}
    check(
        LingeringPeer,
        {
            "3.1": expect(
                OK, BY_CLIENT, closedByMe=False, remoteCloseCode=1002, **killed_while_closing
            ),
            "6.3.1": expect(
                OK, BY_CLIENT, closedByMe=False, remoteCloseCode=1007, **killed_while_closing
            ),
            "1.1.1": expect(
                OK,
                BY_CLIENT,
                closedByMe=True,
                wasServerConnectionDropTimeout=False,
                **killed_while_closing,
            ),
            "2.2": expect(
                OK,
                UNCLEAN,
                closedByMe=True,
                droppedByMe=True,
                wasClean=False,
                wasServerConnectionDropTimeout=True,
            ),
        },
    )  # fmt: skip


def test_server_drop_timeout_fails_by_client_where_clean_is_not_required() -> None:
    """With a server-drop timeout shorter than killAfter, that timer is what drops TCP.

    The timeout is 0.3 s and deliberately not scaled by the test unit: it must stay
    below the cases' fixed 1 s killAfter.
    """
    flags = {"closedByMe": True, "droppedByMe": True, "wasServerConnectionDropTimeout": True}
    check(
        LingeringPeer,
        {
            "7.3.2": expect(OK, BY_CLIENT, wasClean=False, failedByMe=False, **flags),
            "7.9.1": expect(OK, BY_CLIENT, wasClean=False, failedByMe=False, **flags),
            "7.7.1": expect(OK, UNCLEAN, wasClean=False, **flags),
        },
        timeouts=Timeouts(server_connection_drop=0.3),
    )


def test_stalled_case_is_ended_by_the_runner() -> None:
    """A server that starts a close and never closes TCP, in a closeAfter-only case.

    Autobahn would wait forever (docs/autobahn.md section 4.2). The runner drops the connection once
    ``case_slack`` has passed after the case's last timer, and the close is not clean.
    """
    lingering_closer = type("LingeringClosingPeer", (ClosingPeer, LingeringPeer), {})
    timeouts = Timeouts(open_handshake=unit(1), case_slack=unit(0.3))
    report = run(run_peer(lingering_closer, ["5.3", "6.1.1"], timeouts=timeouts), unit(30))
    stalled = expect(
        FAILED, FAILED, closedByMe=False, droppedByMe=True, wasClean=False, remoteCloseCode=1011
    )
    assert mismatches(report, {"5.3": stalled, "6.1.1": stalled}) == []


# --- pongs ---------------------------------------------------------------------------------


def test_late_and_wrong_pongs() -> None:
    """Pongs 1.5 s late miss closeAfter 1 (2.1, 2.2, 5.6) but not closeAfter 2 or 3
    (2.6, 2.10); pongs with another payload never match."""
    late = expect(FAILED, OK, remoteCloseCode=None, localCloseCode=None, **TESTER_CLOSED)
    wrong = expect(FAILED, OK, localCloseCode=None, **TESTER_CLOSED)
    check_many(
        {
            LatePongPeer: {
                "2.1": late,
                "2.2": late,
                "5.6": late,
                "2.6": expect(OK, OK, localCloseCode=1000),
                "2.10": expect(OK, OK, localCloseCode=1000),
            },
            WrongPongPeer: {"2.1": wrong, "2.2": wrong, "2.10": wrong, "5.6": wrong},
        }
    )


# --- UTF-8 ----------------------------------------------------------------------------------


def test_echo_of_invalid_utf8_makes_the_tester_fail_with_1007() -> None:
    """A peer that checks nothing echoes invalid text; the tester's own check fails the
    connection with 1007, so the tester closed first, and the fatal flag of the UTF-8
    cases turns ``behavior`` into FAILED as well."""
    tester_failed = {"closedByMe": True, "failedByMe": True, "localCloseCode": 1007}
    check(
        NaiveEchoPeer,
        {
            "6.3.1": expect(FAILED, FAILED, **tester_failed),
            "6.3.2": expect(FAILED, FAILED, **tester_failed),
            "6.8.1": expect(FAILED, FAILED, **tester_failed),
            "6.20.1": expect(FAILED, FAILED, **tester_failed),
            "6.5.1": expect(OK, OK, **TESTER_CLOSED),
            # The other checks it misses: the RSV message and a pong for a fragmented
            # ping are extra events, a reserved opcode is only a miss of the close.
            "3.1": expect(
                FAILED, FAILED, closedByMe=True, localCloseCode=1001, remoteCloseCode=1001
            ),
            "4.1.1": expect(OK, FAILED, closedByMe=True, localCloseCode=1001),
            "5.1": expect(FAILED, FAILED, closedByMe=True, localCloseCode=1001),
            # It echoes the invalid close code 0: WRONG CODE, and the tester drops TCP.
            "7.9.1": expect(FAILED, WRONG_CODE, remoteCloseCode=0, droppedByMe=True),
        },
    )


def test_fail_fast_on_invalid_utf8() -> None:
    """6.4.x: failing in the middle of the message is OK, at its end NON-STRICT, never
    FAILED (the tester's own check fails on the echo, at t = 2 s)."""
    fast = expect(OK, OK, remoteCloseCode=1007, **PEER_CLOSED)
    at_end = expect(NS, OK, remoteCloseCode=1007, **PEER_CLOSED)
    never = expect(FAILED, FAILED, closedByMe=True, localCloseCode=1007)
    ids = ["6.4.1", "6.4.2", "6.4.3", "6.4.4"]
    check_many(
        {
            EchoPeer: dict.fromkeys(ids, fast),
            Utf8AtEndPeer: dict.fromkeys(ids, at_end),
            NaiveEchoPeer: dict.fromkeys(ids, never),
        }
    )
    # The received lists behind those verdicts: timeout(A), and timeout(B) for at-end.


def test_echo_before_failing() -> None:
    """3.2-3.4, 4.1.3-4.1.5, 4.2.3-4.2.5, 5.15: OK when the valid message that precedes
    the bad frame is echoed first, NON-STRICT when the peer fails without echoing it."""
    ids = ["3.2", "3.3", "3.4", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15"]
    check_many(
        {
            EchoPeer: dict.fromkeys(ids, expect(OK, OK, **PEER_CLOSED)),
            DeferredEchoPeer: dict.fromkeys(ids, expect(NS, OK, **PEER_CLOSED)),
        }
    )


# --- framing the tester refuses ---------------------------------------------------------------


def test_masked_frames_from_the_server() -> None:
    """A masked server frame is a violation: the tester fails with 1002 and drops nothing
    it already recorded (pongs stay, messages are discarded)."""
    failed_1002 = {"closedByMe": True, "failedByMe": True, "localCloseCode": 1002}
    check(
        MaskingPeer,
        {
            # The masked echo is not recorded; the masked close reply is a second
            # violation during the closing handshake, so the tester drops TCP.
            "1.1.1": expect(FAILED, UNCLEAN, droppedByMe=True, wasClean=False, **failed_1002),
            "1.2.8": expect(FAILED, UNCLEAN, droppedByMe=True, wasClean=False, **failed_1002),
            # The peer failed first, but its masked close made the tester fail first.
            "3.1": expect(OK, FAILED, remoteCloseCode=1002, **failed_1002),
            "6.3.1": expect(FAILED, FAILED, remoteCloseCode=1007, **failed_1002),
            # Pongs are recorded even after the tester failed the connection.
            "2.2": expect(OK, UNCLEAN, **failed_1002),
        },
    )


# --- opening handshake and reachability ----------------------------------------------------------


def test_handshake_that_never_completes() -> None:
    """No answer to the upgrade request (opening-handshake timeout) or a 403: both
    verdicts FAILED with "handshake never completed"; nothing else is judged."""
    never = expect(
        FAILED,
        FAILED,
        closedByMe=False,
        droppedByMe=True,
        wasClean=False,
        wasOpenHandshakeTimeout=True,
        received=[],
    )
    refused = expect(FAILED, FAILED, closedByMe=False, wasOpenHandshakeTimeout=False)

    async def both() -> tuple[Report, Report]:
        timeouts = Timeouts(open_handshake=unit(0.5))
        return await asyncio.gather(
            run_peer(NoHandshakePeer, ["1.1.1", "3.1", "7.13.1"], timeouts=timeouts),
            run_peer(RejectingPeer, ["1.1.1", "3.1"]),
        )

    silent, rejecting = run(both(), unit(30))
    assert mismatches(silent, {"1.1.1": never, "3.1": never, "7.13.1": never}) == []
    assert mismatches(rejecting, {"1.1.1": refused, "3.1": refused}) == []
    for report in (silent, rejecting):
        for result in report.results():
            assert "opening handshake did not complete" in result.verdicts.result_close
            assert result.verdicts.result == result.verdicts.result_close


def test_unreachable_target_is_a_harness_error_not_a_verdict() -> None:
    """Nothing listens: no verdict at all, a harness error, and exit status 2."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is free again and nothing listens on it.
    url = f"ws://127.0.0.1:{port}/"
    report = run(run_cases_at(url, ["1.1.1", "1.1.2", "2.1", "3.1"], jobs=2), unit(30))
    assert report.results() == []
    assert report.errors, "an unreachable target must be reported"
    assert all("cannot connect" in e.message or "not run" in e.message for e in report.errors)
    # Every selected case is accounted for: the failing ones by name, the rest in a summary.
    named = {e.case_id for e in report.errors if e.case_id is not None}
    assert named <= {"1.1.1", "1.1.2", "2.1", "3.1"}
    assert named
    assert evaluate(report).exit_code == 2


# --- the reference server -------------------------------------------------------------------


@contextlib.asynccontextmanager
async def reference_server() -> AsyncIterator[str]:
    """``wsconform reference-server`` in a subprocess (the conformance job's own
    launcher, which blocks the loop until the server listens); yields its URL."""
    with conformance.reference_server(timeout=unit(20)) as url:
        yield url.rstrip("/") + "/"


#: A case of every family, with the verdicts a conforming server gets.
REFERENCE_EXPECTED: dict[str, Expect] = {
    **dict.fromkeys(
        ["1.1.1", "1.1.8", "1.2.8", "2.1", "2.5", "2.10", "2.11", "3.1", "3.3", "4.1.1"],
        expect(OK, OK),
    ),
    **dict.fromkeys(
        ["5.1", "5.6", "5.9", "5.19", "5.20", "6.1.3", "6.2.4", "6.3.2", "6.4.1", "6.4.3"],
        expect(OK, OK),
    ),
    **dict.fromkeys(
        ["6.6.2", "6.12.8", "6.22.34", "7.1.1", "7.1.5", "7.3.2", "7.3.6", "7.5.1"],
        expect(OK, OK),
    ),
    **dict.fromkeys(["7.7.1", "7.7.13", "7.9.1", "7.9.9", "10.1.1"], expect(OK, OK)),
    **dict.fromkeys(["7.1.6", "7.13.1", "7.13.2"], expect(INFO, INFO)),
}


def test_reference_server_is_ok_everywhere() -> None:
    """The reference server (the real command, in its own process) passes every family."""

    async def against_reference() -> Report:
        async with reference_server() as url:
            return await run_cases_at(url, REFERENCE_EXPECTED)

    report = run(against_reference(), unit(60))
    assert mismatches(report, REFERENCE_EXPECTED) == []


@pytest.mark.parametrize("case_id", ["3.2", "3.4", "4.1.3", "4.2.5", "5.15"])
def test_reference_server_echoes_before_failing(case_id: str) -> None:
    """The valid message before the bad frame is echoed first (OK, not NON-STRICT)."""

    async def against_reference() -> Report:
        async with reference_server() as url:
            return await run_cases_at(url, [case_id])

    report = run(against_reference(), unit(60))
    assert mismatches(report, {case_id: expect(OK, OK)}) == []
