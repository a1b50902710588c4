"""The sans-I/O tester wired to the reference's sans-I/O core in memory, on a fake clock.

No socket and no event loop: :class:`Loopback` moves the bytes each side hands out to
the other, gives the tester its loop turns (after sync writes, for the reader's
backlog), and, when neither side has anything left to do, moves the fake clock to the
tester's next deadline. The reference side is an echo endpoint (every message back with
its type), as ``wsconform reference-server`` and ``reference-client`` are.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable

from wsconform.cases.deflate import offers_header
from wsconform.cases.model import Case
from wsconform.harness.record.observation import Observation
from wsconform.harness.report.model import CaseResult
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.executor import CaseExecutor, case_result
from wsconform.harness.runner.handshake_cases import request_settings, server_settings
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.handshake import RequestSettings, ServerSettings
from wsconform.harness.wire.writes import Write
from wsconform.reference.protocol import connection as core
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.connection import Protocol
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.frames import BINARY, CONT, TEXT, Frame
from wsconform.reference.protocol.http import Request
from wsconform.reference.protocol.server import ServerProtocol
from wsconform.reference.protocol.uri import parse_uri

__all__ = ["STARTED", "Clock", "Loopback", "run_case"]

URI = parse_uri("ws://127.0.0.1:9001/runCase?case=1&agent=loopback")

#: The report's start time of every case run here (nothing reads the wall clock).
STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

#: Largest message the reference peers accept, as the CLI's echo endpoints.
MAX_SIZE = 2**25


@dataclasses.dataclass
class Clock:
    """A clock that moves only when told."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


class Loopback:
    """One tester connection and one reference peer, joined in memory.

    ``peer`` is the reference core (a :class:`ServerProtocol` when the tester is the
    client, a :class:`ClientProtocol` when it is the server); ``echo`` sends every
    message back. :attr:`writes` keeps every write the tester handed out, with its mode.
    """

    def __init__(self, conn: tester.TesterProtocol, peer: Protocol, clock: Clock) -> None:
        self.conn = conn
        self.peer = peer
        self.clock = clock
        self.writes: list[Write] = []
        #: Every write's mode and size, and ``"turn"`` where the loop ran once.
        self.trace: list[tuple[str, int]] = []
        self.lost = False
        self.echo = True
        self._parts: list[bytes] = []
        self._opcode = TEXT
        # As the reference's front ends: the messages that came before bad input are
        # answered, then the connection is failed.
        peer.defer_failure = True

    def start(self) -> None:
        """TCP is up: the tester (client) or the peer (client) sends its request."""
        self.conn.connection_made()
        if isinstance(self.peer, ClientProtocol):
            self.peer.send_request(self.peer.connect())

    def run(self, *, limit: int = 200_000) -> None:
        """Move bytes and time until the tester's TCP connection is gone.

        Raises:
            AssertionError: neither side moves and no deadline is left, or ``limit``
                steps pass.
        """
        for _ in range(limit):
            if self.lost:
                return
            if self._step():
                continue
            when = self.conn.next_deadline
            assert when is not None, "stuck: nothing to do and no deadline"
            self.clock.now = max(self.clock.now, when)
            self.conn.deadlines_passed(self.clock.now)
        raise AssertionError(f"no end after {limit} steps")

    def _step(self) -> bool:
        """One move: the tester's writes, else the peer's answer, else a loop turn, else
        the reader's next batch; False when there was nothing to do."""
        return self._tester_writes() or self._peer_answers() or self._loop_turn()

    def _tester_writes(self) -> bool:
        conn, peer = self.conn, self.peer
        moved = False
        for write in conn.data_to_send():
            self.writes.append(write)
            self.trace.append((write.mode.name, len(write.data)))
            if not peer.transport_should_close():
                peer.receive_data(write.data)
            moved = True
        if conn.close_transport is not None:
            # The tester closed TCP: the peer reads the end, the tester's side is gone.
            if not peer.transport_should_close():
                peer.receive_eof()
            self._lose()
            return True
        return moved

    def _peer_answers(self) -> bool:
        conn, peer = self.conn, self.peer
        self._serve_peer()
        moved = False
        for chunk in peer.data_to_send():
            if chunk:
                conn.receive_data(chunk)
                moved = True
        if peer.transport_should_close():
            # The peer closed TCP: the tester reads the end of input.
            conn.receive_eof()
            self._step_writes()
            self._lose()
            return True
        return moved

    def _loop_turn(self) -> bool:
        conn = self.conn
        if conn.turn_awaited:
            # A turn of the loop after a sync write.
            self.trace.append(("turn", 0))
            conn.next_turn()
            return True
        if conn.backlog_pending:
            conn.read_backlog()
            return True
        return False

    def _step_writes(self) -> None:
        self.writes.extend(self.conn.data_to_send())

    def _lose(self) -> None:
        self.lost = True
        self.conn.connection_lost()

    def _serve_peer(self) -> None:
        """The reference side's application: answer a request, echo messages."""
        peer = self.peer
        for event in peer.events_received():
            if isinstance(event, Request) and isinstance(peer, ServerProtocol):
                peer.send_response(peer.accept(event))
            elif isinstance(event, Frame) and event.opcode in (TEXT, BINARY, CONT):
                if event.opcode is not CONT:
                    self._opcode = event.opcode
                    self._parts = []
                self._parts.append(bytes(event.data))
                if event.fin and self.echo and peer.state is core.OPEN:
                    message = b"".join(self._parts)
                    if self._opcode is TEXT:
                        peer.send_text(message)
                    else:
                        peer.send_binary(message)
        peer.fail_pending()


def run_case(
    case: Case,
    role: tester.Role,
    *,
    peer: Callable[[], Protocol] | None = None,
    options: RunOptions | None = None,
    echo: bool = True,
) -> tuple[CaseResult, Loopback]:
    """Run ``case`` with the tester in ``role`` against the reference core (or ``peer``),
    to the end, and judge it; ``echo=False``: the peer sends no message back.

    Raises:
        RuntimeError: the executor failed (a harness error).
    """
    clock = Clock()
    options = options or RunOptions(testdata=testdata_loader())
    obs = Observation()
    executor = CaseExecutor(case, obs, options)
    deflate = case.options.deflate
    if role is tester.CLIENT:
        offers = offers_header(deflate.offers) if deflate else None
        conn = tester.TesterProtocol(
            URI, obs, executor, clock=clock,
            settings=request_settings(case, URI) or RequestSettings(extensions=offers),
            timeouts=options.timeouts.wire(), role=role,
        )  # fmt: skip
        default: Protocol = ServerProtocol(
            extensions=[ServerPerMessageDeflateFactory()], max_size=MAX_SIZE
        )
    else:
        conn = tester.TesterProtocol(
            None, obs, executor, clock=clock, timeouts=options.timeouts.wire(), role=role,
            accept=server_settings(
                case, ServerSettings(deflate.accept if deflate is not None else None)
            ),
        )  # fmt: skip
        default = ClientProtocol(
            URI, extensions=[ClientPerMessageDeflateFactory()], max_size=MAX_SIZE
        )
    executor.conn = conn
    link = Loopback(conn, peer() if peer is not None else default, clock)
    link.echo = echo
    begin = clock()
    link.start()
    link.run()
    result = case_result(
        case, executor, agent="loopback", run_index=1, started=STARTED, begin=begin,
        end=clock(), target=None, strict=options.strict,
    )  # fmt: skip
    return result, link
