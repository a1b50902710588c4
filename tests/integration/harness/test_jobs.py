"""``-j 1`` and ``-j 16`` give the same verdicts, timing-sensitive cases included.

Every timer of a case (killAfter, closeAfter, the close-handshake and server-drop
timeouts, the forced pauses of 5.19, 5.20 and 6.4.x) is relative to that case's own
connection, so running cases side by side must change nothing. Checked against the
reference server (which passes) and against peers whose verdicts depend on the timers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.integration.harness.test_verdicts_against_peers import reference_server
from tests.peers import DeferredEchoPeer, LatePongPeer, LingeringPeer, PeerConnection, serve_peer
from tests.peers.running import AGENT, run, run_cases_at
from tests.timing import unit
from wsconform.harness.report.json_report import case_json
from wsconform.harness.report.model import Report

#: Cases whose verdicts hang on a timer or a pause, and a few of every family.
TIMED = [
    "1.1.1", "2.1", "2.10", "2.11", "3.2", "4.1.3", "5.15", "5.19", "5.20",
    "6.4.1", "6.4.2", "6.4.3", "6.4.4", "7.1.1", "7.1.5", "7.1.6", "7.3.1", "7.5.1",
    "7.7.1", "7.9.1", "10.1.1",
]  # fmt: skip

#: The round-trip loops (1,000 echoes in turn): only against a server that answers at
#: once (a peer that answers each message 0.2 s late would take minutes).
ROUND_TRIPS = ["9.7.1", "9.8.1"]

#: A peer that keeps TCP open after the closing handshake makes every case wait for a
#: timer (up to 2 s each at -j 1): the cases that exercise each of those timers.
LINGERING = ["1.1.1", "2.2", "3.1", "6.3.1", "7.1.1", "7.1.5", "7.3.1"]

FIELDS = (
    "behavior", "behaviorClose", "droppedByMe", "failedByMe", "remoteCloseCode",
    "wasClean", "wasCloseHandshakeTimeout", "wasServerConnectionDropTimeout",
)  # fmt: skip


def verdicts(report: Report) -> dict[str, tuple[object, ...]]:
    assert report.errors == []
    return {
        result.case_id: tuple(case_json(result)[name] for name in FIELDS)
        for result in report.results(AGENT)
    }


def reference() -> AbstractAsyncContextManager[str]:
    return reference_server()


def peer(cls: type[PeerConnection]) -> Callable[[], AbstractAsyncContextManager[str]]:
    return lambda: serve_peer(cls)


@pytest.mark.parametrize(
    ("target", "cases"),
    [
        (reference, TIMED + ROUND_TRIPS),
        (peer(LingeringPeer), LINGERING),
        (peer(DeferredEchoPeer), TIMED),
        (peer(LatePongPeer), TIMED),
    ],
    ids=["reference", "lingering", "deferred-echo", "late-pong"],
)
def test_one_job_and_sixteen_jobs_agree(
    target: Callable[[], AbstractAsyncContextManager[str]], cases: list[str]
) -> None:
    async def both() -> tuple[Report, Report]:
        async with target() as url:
            one = await run_cases_at(url, cases, jobs=1)
            sixteen = await run_cases_at(url, cases, jobs=16)
        return one, sixteen

    one, sixteen = run(both(), unit(240))
    assert len(verdicts(one)) == len(cases)
    assert verdicts(one) == verdicts(sixteen)
