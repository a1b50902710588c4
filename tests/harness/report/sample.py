"""A report with known defects, built the way the runner builds one.

Each result is a real catalog case whose :class:`Observation` is filled through the
same ``note_*`` / ``log`` / ``record`` calls the runner makes (handshake bytes, frames
and their wire bytes, timers), and whose verdicts come from the real rules
(:func:`wsconform.harness.verdicts.judge`). The peer "BrokenServer/1.0" has the
defects listed in :data:`DEFECTS`; "GoodServer/2.0" passes what it runs.
"""

from __future__ import annotations

import datetime
import pathlib

from wsconform.cases import catalog
from wsconform.cases.model import (
    Case,
    CaseOptions,
    ExpectedClose,
    KillAfter,
    Message,
    Pong,
    RequireDeflate,
    SendClose,
    SendFrame,
    SendMessage,
    Verdict,
)
from wsconform.harness.record.observation import (
    KillAfterArmed,
    KillAfterFired,
    Observation,
)
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.model import CaseResult, HarnessError, Report
from wsconform.harness.report.render import FORMATS, write_reports
from wsconform.harness.verdicts import deflate_missing, judge
from wsconform.harness.wire.frame import WireFrame

__all__ = [
    "BAD",
    "DEFECTS",
    "GOOD",
    "MASK",
    "T0",
    "sample_report",
]

BAD = "BrokenServer/1.0"
GOOD = "GoodServer/2.0"
T0 = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.UTC)
MASK = bytes.fromhex("a1b2c3d4")
TARGET = "ws://127.0.0.1:9001"

#: case id -> the outcome BrokenServer gets, and why.
DEFECTS: dict[str, tuple[str, str]] = {
    "1.1.1": ("OK", "echoes an empty text message"),
    "1.1.2": ("FAILED", "echoes only 124 of the 125 bytes"),
    "2.2": ("OK", "answers a ping with the same payload"),
    "3.2": ("NON-STRICT", "fails at RSV=2 before echoing the first message"),
    "6.3.1": ("FAILED", "accepts invalid UTF-8 and never closes (killAfter)"),
    "7.1.6": ("INFORMATIONAL", "closes before echoing the small message"),
    "7.7.1": ("FAILED", "answers close 1000 with close 1002"),
    "12.1.1": ("UNIMPLEMENTED", "does not negotiate permessage-deflate"),
    "5.1": ("ERROR", "the runner lost the connection (harness error)"),
}

_REQUEST = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n"
)
_RESPONSE = (
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
)


class _Peer:
    """Drives one observation like the runner: tester writes, peer replies, TCP ends."""

    def __init__(self) -> None:
        self.obs = Observation(is_server=False)
        self.obs.http_request, self.obs.http_response = _REQUEST, _RESPONSE
        self.obs.note_tx_octets(_REQUEST.encode(), sync=False)
        self.obs.note_rx_octets(_RESPONSE.encode())
        self.obs.opened = True

    def send(self, opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0) -> None:
        self.obs.note_tx_frame(opcode, fin, rsv, payload, mask=MASK)
        wire = WireFrame(opcode, payload, fin, rsv, masked=True, mask_key=MASK).encode()
        self.obs.note_tx_octets(wire, sync=False)

    def send_close(self, code: int | None, reason: bytes = b"") -> None:
        body = b"" if code is None else code.to_bytes(2, "big") + reason
        self.send(8, body)
        self.obs.closed_by_me = True
        self.obs.local_close_code = code
        self.obs.local_close_reason = reason if code is not None else None

    def receive(self, opcode: int, payload: bytes, *, record: bool = True) -> None:
        wire = WireFrame(opcode, payload).encode()
        self.obs.note_rx_octets(wire)
        self.obs.note_rx_frame(opcode, True, 0, payload, mask=None)
        if not record:
            return
        if opcode in (1, 2):
            self.obs.record(Message(payload, opcode == 2))
        elif opcode == 10:
            self.obs.record(Pong(payload))

    def receive_close(self, code: int) -> None:
        self.receive(8, code.to_bytes(2, "big"), record=False)
        self.obs.remote_close_code = code
        self.obs.remote_close_reason = ""
        self.obs.was_clean = True

    def kill(self, delay: float) -> None:
        self.obs.log(KillAfterArmed(delay))
        self.obs.log(KillAfterFired())
        self.send_close(1001, b"Going Away")
        self.obs.failed_by_me = True
        self.obs.was_close_handshake_timeout = True
        self.obs.was_clean = False
        self.obs.was_not_clean_reason = "peer did not respond (in time) in closing handshake"
        self.obs.dropped_by_me = True


def _result(case: Case, peer: _Peer, agent: str, duration: int = 12) -> CaseResult:
    index = catalog.run_index(case.id) if case.section != 12 else 302
    verdicts = judge(case, peer.obs)
    return CaseResult(case, agent, index, peer.obs, verdicts, T0, duration, TARGET)


def _echo_case(case_id: str, agent: str, *, cut: int = 0) -> CaseResult:
    case = catalog.get(case_id)
    step = case.steps[0]
    assert isinstance(step, SendFrame)
    peer = _Peer()
    peer.send(step.opcode, step.data())
    data = step.data()
    peer.receive(step.opcode, data[: len(data) - cut])
    peer.send_close(1000)
    peer.receive_close(1000)
    return _result(case, peer, agent)


def _ping_case(agent: str) -> CaseResult:
    case = catalog.get("2.2")
    peer = _Peer()
    peer.send(9, b"Hello, world!")
    peer.receive(10, b"Hello, world!")
    peer.send_close(1000)
    peer.receive_close(1000)
    return _result(case, peer, agent)


def _rsv_case(agent: str, *, echo_first: bool) -> CaseResult:
    case = catalog.get("3.2")
    peer = _Peer()
    peer.send(1, b"Hello, world!")
    if echo_first:
        peer.receive(1, b"Hello, world!")
    peer.send(1, b"Hello, world!", rsv=2)
    peer.send(9, b"")
    peer.receive_close(1002)
    peer.send(8, (1002).to_bytes(2, "big"))  # the tester's reply, not a first close
    return _result(case, peer, agent)


def _utf8_case(agent: str) -> CaseResult:
    case = catalog.get("6.3.1")
    step = case.steps[0]
    assert isinstance(step, SendMessage)
    peer = _Peer()
    peer.send(1, step.data())
    peer.kill(case.kill_after or 1.0)
    return _result(case, peer, agent, duration=2004)


def _informational_case(agent: str) -> CaseResult:
    case = catalog.get("7.1.6")
    peer = _Peer()
    for step in case.steps:
        if isinstance(step, SendFrame):
            peer.send(step.opcode, step.data()[:64])
        elif isinstance(step, SendClose):
            peer.send_close(step.code, step.reason or b"")
    peer.receive_close(1000)
    return _result(case, peer, agent)


def _close_code_case(agent: str, reply: int) -> CaseResult:
    case = catalog.get("7.7.1")
    peer = _Peer()
    peer.send_close(1000)
    peer.receive_close(reply)
    return _result(case, peer, agent)


def _deflate_case(agent: str) -> CaseResult:
    case = Case(
        "12.1.1",
        "Send 1000 compressed text messages of 16 bytes from a JSON file.",
        "Each message is echoed with the same content.",
        (RequireDeflate(), KillAfter(10)),
        {},
        ExpectedClose(True, (1000,), True),
        report_time=True,
        report_compression_ratio=True,
        options=CaseOptions(),
    )
    peer = _Peer()
    outcome = deflate_missing()
    peer.obs.logic_behavior = outcome.behavior
    peer.obs.logic_result = outcome.result
    peer.send_close(1000)
    peer.receive_close(1000)
    result = _result(case, peer, agent)
    assert result.verdicts.behavior is Verdict.UNIMPLEMENTED
    return result


def sample_report() -> Report:
    """BrokenServer with every defect of :data:`DEFECTS`, GoodServer passing four cases."""
    report = Report()
    for result in (
        _echo_case("1.1.1", BAD),
        _echo_case("1.1.2", BAD, cut=1),
        _ping_case(BAD),
        _rsv_case(BAD, echo_first=False),
        _utf8_case(BAD),
        _informational_case(BAD),
        _close_code_case(BAD, 1002),
        _deflate_case(BAD),
        _echo_case("1.1.1", GOOD),
        _echo_case("1.1.2", GOOD),
        _rsv_case(GOOD, echo_first=True),
        _close_code_case(GOOD, 1000),
    ):
        report.add(result)
    try:
        raise ConnectionResetError("peer reset the connection during the handshake")
    except ConnectionResetError as exc:
        report.add_error(HarnessError.from_exception(BAD, "5.1", exc))
    report.add_error(HarnessError(GOOD, None, "the run was cut short: out of file descriptors"))
    return report


def write(
    report: Report, outdir: pathlib.Path, formats: tuple[str, ...] = FORMATS
) -> list[pathlib.Path]:
    """Write a report as the commands do: one collection, then the chosen formats."""
    return write_reports(Collection.of(report, outdir), outdir, formats)
