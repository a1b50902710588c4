"""The tester's WebSocket connection without I/O: :class:`TesterProtocol`, in either role.

Bytes in (:meth:`TesterProtocol.receive_data`, :meth:`TesterProtocol.receive_eof`,
:meth:`TesterProtocol.connection_lost`), writes out as an explicit queue that carries
each write's mode (:meth:`TesterProtocol.data_to_send`), timers as deadlines the front
end arms (:attr:`TesterProtocol.next_deadline`, :meth:`TesterProtocol.deadlines_passed`),
events out to a :class:`ConnectionEvents` sink. The asyncio adapter
(:mod:`.connection`) only moves bytes and keeps one loop timer; a unit test drives the
same object with a fake clock and no socket. The clock is injected: nothing here imports
asyncio, socket, ssl or time.

In the client role (:data:`CLIENT`, testing servers) it writes the upgrade request at
:meth:`TesterProtocol.connection_made` and checks the answer; in the server role
(:data:`SERVER`, testing clients, Autobahn's fuzzing server) it reads the client's
request itself or is handed one already parsed (:meth:`TesterProtocol.accept`) and
answers it. The role decides masking (RFC 6455 section 5.1: a client masks every frame,
a server none, and each requires the other's rule), the opening handshake, and who
closes TCP: a server closes it at once when the closing handshake is done (RFC 6455
section 7.1.1: "the underlying TCP connection, in most normal cases, SHOULD be closed
first by the server"), a client waits for the server under the server drop timer.

It plays the part Autobahn|Python 0.10.9 plays under Autobahn|Testsuite
(docs/autobahn.md sections 2, 4.2 and 5): it sends exactly what it is told, reads the
peer with the tester's checks (:mod:`.reader`), answers pings while OPEN, replies to a
peer's close with 1000, runs the library timers (opening handshake, closing handshake,
server TCP drop) and keeps the tester's record in an
:class:`~wsconform.harness.record.observation.Observation`: ``closedByMe``,
``failedByMe``, ``droppedByMe``, ``wasClean`` and its reason, the close codes and
reasons, statistics, traffic counters and the wire log.

States follow RFC 6455 section 4 and 7: CONNECTING until the handshake completes, OPEN,
CLOSING once a close frame was sent (by either rule), CLOSED once the tester dropped TCP
or TCP was lost. What the case does (steps, case timers, event recording) is the
executor's job (:mod:`wsconform.harness.runner.executor`), reached through
:class:`ConnectionEvents`; its delayed steps are deadlines here too
(:meth:`TesterProtocol.call_later`), so one clock runs them all.

Writes go out in Autobahn's modes (burst, sync, chop; docs/autobahn.md section 2.2)
through a :class:`~.writes.WriteQueue`: :meth:`TesterProtocol.data_to_send` hands them
out with their mode, and after a sync one the front end lets its loop run once before
:meth:`TesterProtocol.next_turn`. Every write counts in ``txOctetStats`` and the ``TO``
wire log under its own size.

Bounded cost: the reader processes a read in batches of frames (:mod:`.reader`); while
a batch is left over (:attr:`TesterProtocol.backlog_pending`) the front end stops
reading from the transport and calls :meth:`TesterProtocol.read_backlog` at the next
turn of its loop, so the timers of the case fire on time whatever the peer sends. A
pong answers a ping only while fewer than :data:`PONG_BACKLOG` bytes wait to be
written (the front end reports its transport's buffer in
:attr:`TesterProtocol.transport_backlog`): a peer that pings without reading would
otherwise grow the tester's write buffer without bound (the pongs not sent are counted,
``pongs_withheld``).

The opening handshake fails at once when the first bytes of the answer cannot begin an
HTTP status line, rather than when the opening handshake timer fires; the observation
keeps the status line and, on failure, why (``handshake_status``, ``handshake_failure``).
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable

from wsconform.cases.model import fragment_payload
from wsconform.harness.record.observation import Observation, RxFrame, TxFrame
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import CONT, Opcode
from wsconform.reference.protocol.handshake import generate_key
from wsconform.reference.protocol.http import RequestParser
from wsconform.reference.protocol.mask import BytesLike, new_mask_key
from wsconform.reference.protocol.uri import WebSocketURI
from wsconform.reference.protocol.utf8 import find_invalid

from .codec import RSV1, mask_stream
from .handshake import Negotiated, RequestSettings, ServerSettings, build_request, request_key
from .opening import OpeningHandshake
from .outgoing import RepeatCompressor, encode_message
from .reader import INVALID_PAYLOAD, PROTOCOL_ERROR, FrameInfo, Reader
from .states import (
    ABORT,
    ALLOWED_CLOSE_CODES,
    CLIENT,
    CLOSE,
    CLOSE_HANDSHAKE,
    CLOSED,
    CLOSING,
    CONNECTING,
    DEFAULT_MAX_MESSAGE_SIZE,
    OPEN,
    OPEN_HANDSHAKE,
    PONG_BACKLOG,
    SERVER,
    SERVER_DROP,
    Clock,
    ConnectionEvents,
    Role,
    State,
    Timer,
    TransportClose,
    WireTimeouts,
    close_code_valid,
)
from .writes import Write, WriteQueue

__all__ = [
    "ABORT",
    "ALLOWED_CLOSE_CODES",
    "CLIENT",
    "CLOSE",
    "CLOSED",
    "CLOSE_HANDSHAKE",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OPEN",
    "OPEN_HANDSHAKE",
    "PONG_BACKLOG",
    "SERVER",
    "SERVER_DROP",
    "Clock",
    "ConnectionEvents",
    "Role",
    "State",
    "TesterProtocol",
    "Timer",
    "TransportClose",
    "WireTimeouts",
    "close_code_valid",
]

_NORMAL = 1000
_GOING_AWAY = 1001
_PEER_DROPPED = "peer dropped the TCP connection without previous WebSocket closing handshake"


class TesterProtocol(OpeningHandshake):
    """One tester connection without I/O (see the module docstring).

    ``obs`` receives the tester's record, ``events`` what the case sees, ``clock`` the
    time the deadlines are on. ``max_message_size`` bounds a data message from the peer
    (1009 past it). ``role`` is :data:`CLIENT` (``uri`` is the target and ``settings``
    the request) or :data:`SERVER` (``uri`` is ``None``; ``accept`` says which
    permessage-deflate offers the tester accepts).

    Raises:
        ValueError: a client-role connection without ``uri``.
    """

    def __init__(
        self,
        uri: WebSocketURI | None,
        obs: Observation,
        events: ConnectionEvents,
        *,
        clock: Clock,
        settings: RequestSettings | None = None,
        timeouts: WireTimeouts | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        role: Role = CLIENT,
        accept: ServerSettings | None = None,
    ) -> None:
        if role is CLIENT and uri is None:
            raise ValueError("a client-role connection needs the target's URI")
        self.role = role
        self.accept_settings = accept if accept is not None else ServerSettings()
        obs.is_server = role is SERVER
        self.uri = uri
        self.obs = obs
        self.events = events
        self.clock = clock
        self.settings = settings if settings is not None else RequestSettings()
        self.timeouts = timeouts if timeouts is not None else WireTimeouts()
        self.max_message_size = max_message_size
        #: Judge the peer's close codes by the IANA registry (:func:`close_code_valid`).
        self.registry_close_codes = False
        self.state = CONNECTING
        self.reader: Reader | None = None
        self.deflate: PerMessageDeflate | None = None
        self._compressor: RepeatCompressor | None = None
        self.subprotocol: str | None = None
        #: How the front end must close TCP, once the tester dropped it.
        self.close_transport: TransportClose | None = None
        #: Bytes the front end's transport has not written yet (it keeps this current).
        self.transport_backlog = 0
        self._key = ""
        self._head = bytearray()
        self._request_parser: RequestParser | None = None
        self._request_bytes = 0
        #: The writes in Autobahn's modes (:mod:`.writes`).
        self.writes = WriteQueue(self._count_write)
        self._stream_mask: bytes | None = None
        self._stream_offset = 0
        self._streaming = False
        # The library timers as deadlines on the clock (:meth:`arm`), and the case's
        # delayed steps (:meth:`call_later`).
        self.deadlines: dict[Timer, float] = {}
        self._later: dict[int, tuple[float, Callable[[], None]]] = {}
        self._later_seq = 0
        # The earliest of the delayed steps, kept while they do not change (the front
        # end asks for :attr:`next_deadline` after every call).
        self._later_first: float | None = None
        self._later_known = True
        # Reads not yet handed to the reader while it works through a backlog (at most
        # one: the front end stops reading meanwhile), and where the frame being read
        # goes in the wire log once it broke a rule.
        self._inbox: collections.deque[bytes] = collections.deque()
        self._frame_slot: int | None = None

    # --- timers ---------------------------------------------------------------------------

    def arm(self, timer: Timer, delay: float) -> None:
        """Set ``timer``'s deadline ``delay`` seconds from now (replacing an earlier one)."""
        self.deadlines[timer] = self.clock() + delay

    def disarm(self, timer: Timer) -> None:
        """Drop ``timer``'s deadline, if set."""
        self.deadlines.pop(timer, None)

    def call_later(self, delay: float, callback: Callable[[], None]) -> int:
        """Run ``callback`` ``delay`` seconds from now (a case's delayed step); returns a
        handle for :meth:`cancel`. Dropped when TCP is lost."""
        self._later_seq += 1
        self._later[self._later_seq] = (self.clock() + delay, callback)
        self._later_known = False
        return self._later_seq

    def cancel(self, handle: int) -> None:
        """Forget a :meth:`call_later` callback that has not run."""
        if self._later.pop(handle, None) is not None:
            self._later_known = False

    @property
    def next_deadline(self) -> float | None:
        """The earliest deadline on the clock (library timer or case step), or ``None``."""
        first = min(self.deadlines.values()) if self.deadlines else None
        if not self._later_known:
            self._later_first = min(
                (when for when, _callback in self._later.values()), default=None
            )
            self._later_known = True
        later = self._later_first
        if first is None or (later is not None and later < first):
            return later
        return first

    def deadlines_passed(self, now: float) -> None:
        """Run what is due at ``now`` or earlier, in deadline order (a library timer
        before a case step due at the same time)."""
        due: list[tuple[float, int, int]] = [
            (when, 0, timer) for timer, when in self.deadlines.items() if when <= now
        ]
        due += [(when, 1, handle) for handle, (when, _cb) in self._later.items() if when <= now]
        for _when, kind, key in sorted(due):
            if kind == 0:
                if self.deadlines.pop(Timer(key), None) is not None:
                    self._expired(Timer(key))
            elif (entry := self._later.pop(key, None)) is not None:
                self._later_known = False
                entry[1]()

    def _expired(self, timer: Timer) -> None:
        if timer is OPEN_HANDSHAKE:
            self._on_open_handshake_timeout()
        elif timer is CLOSE_HANDSHAKE:
            self._on_close_handshake_timeout()
        else:
            self._on_server_connection_drop_timeout()

    # --- bytes in -------------------------------------------------------------------------

    def connection_made(self) -> None:
        """TCP is up: arm the opening handshake timer; a client writes its request."""
        if self.timeouts.open_handshake > 0:
            self.arm(OPEN_HANDSHAKE, self.timeouts.open_handshake)
        if self.role is SERVER:
            # The request is read by receive_data, or handed to accept() at once.
            return
        assert self.uri is not None
        raw = self.settings.raw_request
        self._key = (request_key(raw) if raw is not None else None) or generate_key()
        request = build_request(self.uri, self._key, self.settings)
        self.obs.http_request = request.decode("latin-1")
        self._write(request, chopsize=self.settings.chopsize)

    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer: the opening handshake, then frames for the reader."""
        state = self.state
        if state is CONNECTING and self.role is SERVER:
            self._request_data(data)
            return
        obs = self.obs
        if obs.create_wirelog:
            obs.note_rx_octets(data)
        else:
            # Counted only: without the wire log there is no ``RO`` entry to build.
            stats = obs.rx_octet_stats
            stats[len(data)] = stats.get(len(data), 0) + 1
        if state is OPEN:
            obs.traffic.incoming_octets_wire_level += len(data)
        elif state is CONNECTING:
            obs.traffic.preopen_incoming_octets_wire_level += len(data)
            self._handshake_data(data)
            return
        if self.reader is not None and state is not CLOSED:
            self._read(data)

    def receive_eof(self) -> None:
        """A half-close from the peer ends the connection, as in Autobahn: the front end
        closes TCP (and reports it lost)."""
        self.obs.eof_received = True
        if self.state is not CLOSED and self.close_transport is None:
            self.state = CLOSED
            self.close_transport = CLOSE

    def connection_lost(self) -> None:
        """TCP is gone: CLOSED, nothing more to write or run, and the case ends."""
        self.state = CLOSED
        self.deadlines.clear()
        self._later.clear()
        self._later_known = False
        self.writes.clear()
        self._inbox.clear()
        obs = self.obs
        obs.lost_at = self.clock()
        if not obs.was_clean and not obs.dropped_by_me and obs.was_not_clean_reason is None:
            obs.was_not_clean_reason = _PEER_DROPPED
        self.events.on_lost()

    def _read(self, data: bytes) -> None:
        """Hand a read to the reader, or queue it behind the backlog (module docstring)."""
        reader = self.reader
        assert reader is not None
        if self._inbox or reader.backlog:
            self._inbox.append(data)
            return
        reader.feed(data)

    @property
    def backlog_pending(self) -> bool:
        """Read bytes wait for the next batch: stop reading, call :meth:`read_backlog`."""
        reader = self.reader
        if reader is None or self.state is CLOSED:
            return False
        return bool(self._inbox) or reader.backlog > 0

    def read_backlog(self) -> None:
        """The next batch of the backlog (at the next turn of the front end's loop)."""
        reader = self.reader
        if reader is None or self.state is CLOSED:
            return
        if reader.resume():
            return
        while self._inbox and self.state is not CLOSED:
            if reader.feed(self._inbox.popleft()):
                return

    # --- opening handshake --------------------------------------------------------------

    def _open(self, negotiated: Negotiated) -> None:
        """The opening handshake completed: OPEN, and the case starts."""
        self.state = OPEN
        self.deflate = negotiated.deflate
        self.subprotocol = negotiated.subprotocol
        self.reader = Reader(
            self,
            max_message_size=self.max_message_size,
            deflate=self.deflate,
            server=self.role is SERVER,
        )
        self.obs.opened = True
        self.obs.opened_at = self.clock()
        self.events.on_open()

    # --- writes -------------------------------------------------------------------------

    def data_to_send(self) -> list[Write]:
        """The writes to perform now, in order, each with its mode (:mod:`.writes`)."""
        return self.writes.take()

    @property
    def turn_awaited(self) -> bool:
        """After the last write handed out the front end must let its event loop run
        once, then call :meth:`next_turn`."""
        return self.writes.turn_awaited

    def next_turn(self) -> None:
        """The loop ran once after a sync write: the next writes become due."""
        self.writes.next_turn()

    @property
    def writes_pending(self) -> bool:
        """Whether writes are still waiting: to be handed out, or for their turn."""
        return self.writes.pending

    def _count_write(self, data: BytesLike, sync: bool) -> None:
        obs = self.obs
        obs.note_tx_octets(data, sync)
        if self.state is OPEN:
            obs.traffic.outgoing_octets_wire_level += len(data)
        elif self.state is CONNECTING:
            obs.traffic.preopen_outgoing_octets_wire_level += len(data)

    def _write(self, data: BytesLike, *, sync: bool = False, chopsize: int | None = None) -> None:
        """Write in one of the modes of :mod:`.writes` (nothing once CLOSED)."""
        if self.state is not CLOSED:
            self.writes.write(data, sync=sync, chopsize=chopsize)

    # --- frames -------------------------------------------------------------------------

    def _note_tx_frame(self, entry: TxFrame) -> None:
        """Count a sent frame and log it (``TF``); cheaper than building entries unlogged."""
        obs = self.obs
        obs.tx_frame_stats[entry.opcode] = obs.tx_frame_stats.get(entry.opcode, 0) + 1
        if obs.create_wirelog:
            obs.log(entry)

    def send_frame(
        self,
        opcode: int,
        payload: bytes,
        *,
        fin: bool = True,
        rsv: int = 0,
        pattern: bytes | None = None,
        repeat_length: int | None = None,
        chopsize: int | None = None,
        sync: bool = False,
    ) -> None:
        """Send one frame exactly as given (nothing if CLOSED): masked with a fresh key in
        the client role, unmasked in the server role.

        ``pattern`` and ``repeat_length`` are what the wire log shows for a payload
        built by repeating a pattern (``payload`` is then the expanded bytes).
        """
        if self.state is CLOSED:
            return
        # RFC 6455 section 5.3: "The masking key is a 32-bit value chosen at random by
        # the client. When preparing a masked frame, the client MUST pick a fresh masking
        # key from the set of allowed 32-bit values."
        mask = new_mask_key() if self.role is CLIENT else None
        shown = payload if pattern is None else pattern
        self._note_tx_frame(
            TxFrame(
                len(shown), bytes(shown[:64]), opcode, fin, rsv, mask, repeat_length, chopsize, sync
            )
        )
        frame = WireFrame(opcode, payload, fin, rsv, masked=mask is not None, mask_key=mask)
        self._write(frame.encode(), sync=sync, chopsize=chopsize)

    def send_wire_frame(
        self,
        frame: WireFrame,
        *,
        chopsize: int | None = None,
        sync: bool = False,
        chop_header: bool = False,
    ) -> None:
        """Send ``frame`` with exactly its header fields (nothing if CLOSED): its own
        masking whatever the role, a false or non-minimal length.

        ``chopsize`` and ``sync`` are the write modes of :meth:`send_frame`;
        ``chop_header`` cuts only the header into ``chopsize``-byte writes, and the
        payload follows as one write. A masked frame without a key gets a fresh one.

        Raises:
            ValueError: a field does not fit (see :meth:`WireFrame.encode`).
        """
        if self.state is CLOSED:
            return
        if frame.masked and frame.mask_key is None:
            frame = dataclasses.replace(frame, mask_key=new_mask_key())
        data = frame.encode()
        self._note_tx_frame(
            TxFrame(
                len(frame.payload), frame.payload[:64], frame.opcode, frame.fin, frame.rsv,
                frame.mask_key if frame.masked else None, None, chopsize, sync,
            )
        )  # fmt: skip
        if chop_header and chopsize:
            split = len(data) - len(frame.payload)
            self._write(data[:split], chopsize=chopsize)
            if split < len(data):
                self._write(data[split:], sync=True)
            return
        self._write(data, sync=sync, chopsize=chopsize)

    def send_message(self, payload: bytes, *, binary: bool, fragment_size: int = 0) -> None:
        """Send a data message through the tester's message sender.

        Compressed first when permessage-deflate is in use (RFC 7692 section 7.2.1),
        then cut by :func:`~wsconform.cases.model.fragment_payload` (``fragment_size``
        0 = one frame); only the first frame carries the opcode and RSV1.
        """
        if self.state is CLOSED:
            return
        opcode = Opcode.BINARY if binary else Opcode.TEXT
        data = payload
        rsv = 0
        if self.deflate is not None:
            if self._compressor is None or self._compressor.deflate is not self.deflate:
                self._compressor = RepeatCompressor(self.deflate)
            data = self._compressor.compress(opcode, payload)
            rsv = RSV1
        if not self.obs.create_wirelog and not self.writes.queued and self.state is OPEN:
            frames = self._send_unlogged(opcode, data, rsv, fragment_size)
        else:
            pieces = fragment_payload(data, fragment_size)
            frames = len(pieces)
            last = frames - 1
            for index, piece in enumerate(pieces):
                self.send_frame(
                    opcode if index == 0 else CONT,
                    piece,
                    fin=index == last,
                    rsv=rsv if index == 0 else 0,
                )
        if self.state is OPEN:
            traffic = self.obs.traffic
            traffic.outgoing_octets_websocket_level += len(data)
            traffic.outgoing_octets_app_level += len(payload)
            traffic.outgoing_websocket_frames += frames
            traffic.outgoing_websocket_messages += 1

    def _send_unlogged(self, opcode: Opcode, data: bytes, rsv: int, fragment_size: int) -> int:
        """:meth:`send_frame` for each fragment, in a burst, when nothing is logged;
        returns the number of frames.

        Sections 12 and 13 send 10 GB in about 6 million frames with the wire log off:
        this path keeps the same counts (frames by opcode, writes by size, wire octets)
        and the same bytes on the wire (a fresh masking key per frame, the minimal
        length) without building log entries, which cost more than the frames, and
        builds the message's frames in one buffer (:func:`.outgoing.encode_message`).
        """
        obs = self.obs
        frame_stats, octet_stats = obs.tx_frame_stats, obs.tx_octet_stats
        wire, frames = encode_message(
            opcode, data, fragment_size=fragment_size, rsv1=rsv == RSV1,
            masked=self.role is CLIENT,
        )  # fmt: skip
        count = 0
        for code, size, run in frames:
            frame_stats[code] = frame_stats.get(code, 0) + run
            octet_stats[size] = octet_stats.get(size, 0) + run
            count += run
        obs.traffic.outgoing_octets_wire_level += len(wire)
        self.writes.burst(wire)
        return count

    def send_stream_header(self, opcode: int, length: int, *, fin: bool, rsv: int) -> None:
        """Write only a frame header; its payload follows with :meth:`send_stream_data`."""
        if self.state is CLOSED:
            return
        mask = new_mask_key() if self.role is CLIENT else None
        self._stream_mask, self._stream_offset = mask, 0
        self._streaming = True
        self._note_tx_frame(TxFrame(0, b"", opcode, fin, rsv, mask, None, None, False))
        header = WireFrame(
            opcode, b"", fin, rsv, masked=mask is not None, mask_key=mask, length=length
        )
        self._write(header.encode())

    def send_stream_data(self, data: bytes) -> None:
        """Write payload bytes of the streamed frame, masked where they fall."""
        if self.state is CLOSED or not self._streaming:
            return
        mask = self._stream_mask
        masked = data if mask is None else mask_stream(data, mask, self._stream_offset)
        self._stream_offset += len(data)
        self._write(masked)

    # --- closing ------------------------------------------------------------------------

    def send_close(
        self, code: int | None = None, reason: bytes | None = None, *, is_reply: bool = False
    ) -> None:
        """Send a close frame and enter CLOSING; only while OPEN (Autobahn's
        ``sendCloseFrame``).

        Sets ``closedByMe`` unless it answers the peer's close, records the local code
        and reason, and starts the closing handshake timeout when the tester initiates.
        """
        if self.state is not OPEN:
            return
        body = (b"" if code is None else code.to_bytes(2, "big")) + (reason or b"")
        self.send_frame(Opcode.CLOSE, body)
        self.state = CLOSING
        obs = self.obs
        obs.closed_by_me = not is_reply
        obs.local_close_code = code
        obs.local_close_reason = reason
        if not is_reply and self.timeouts.close_handshake > 0:
            self.arm(CLOSE_HANDSHAKE, self.timeouts.close_handshake)

    def fail(self, code: int = _GOING_AWAY, reason: str = "Going Away") -> None:
        """Fail the connection (Autobahn's ``failConnection`` with ``failByDrop=false``).

        Marks ``failedByMe``; while OPEN, sends a close with ``code`` and ``reason``;
        while already CLOSING, drops TCP (a second violation during the closing
        handshake).
        """
        if self.state is CLOSED:
            return
        self.obs.failed_by_me = True
        if self.state is CLOSING:
            # The close that was under way can no longer be clean: say why in the report.
            self.obs.was_not_clean_reason = f"the tester failed the closing handshake: {reason}"
            self.drop(abort=False)
        else:
            self.send_close(code, reason.encode("utf-8")[:123])

    def drop(self, *, abort: bool) -> None:
        """Close TCP now (abortive or orderly); marks ``droppedByMe``.

        The front end writes what :meth:`data_to_send` hands out, then closes TCP as
        :attr:`close_transport` says.
        """
        if self.state is CLOSED:
            return
        self.obs.dropped_by_me = True
        if self.role is SERVER and not abort:
            # The server's own close frame, in the burst or the send queue, goes first.
            self.writes.drain()
        # Writes not handed out yet are not written once CLOSED.
        self.writes.discard()
        self.state = CLOSED
        self.close_transport = ABORT if abort else CLOSE

    def _on_close_handshake_timeout(self) -> None:
        if self.state is not CLOSED:
            obs = self.obs
            obs.was_clean = False
            obs.was_not_clean_reason = "peer did not respond (in time) in closing handshake"
            obs.was_close_handshake_timeout = True
            self.drop(abort=True)

    def _on_server_connection_drop_timeout(self) -> None:
        if self.state is not CLOSED:
            obs = self.obs
            obs.was_clean = False
            obs.was_not_clean_reason = "server did not drop TCP connection (in time)"
            obs.was_server_connection_drop_timeout = True
            self.drop(abort=True)

    # --- ReaderSink -----------------------------------------------------------------------

    @property
    def reading(self) -> bool:
        """The reader goes on until the connection is CLOSED."""
        return self.state is not CLOSED

    @property
    def failed(self) -> bool:
        """The tester failed the connection: data messages are no longer kept."""
        return self.obs.failed_by_me

    def violation(self, code: int, reason: str) -> None:
        """The peer broke a rule the tester enforces: fail the connection.

        When the rule was broken by the frame being read, that frame's ``RF`` entry is
        logged where it stands now, before the close frame it causes.
        """
        reader = self.reader
        if self._frame_slot is None and reader is not None and reader.unreported_frame:
            self._frame_slot = self.obs.log_slot()
        self.fail(code, reason)

    def frame_received(self, info: FrameInfo) -> None:
        """Statistics, traffic counters, the ``RF`` wire log entry of a frame, and the
        discarded frames once the tester failed the connection."""
        obs = self.obs
        obs.rx_frame_stats[info.opcode] = obs.rx_frame_stats.get(info.opcode, 0) + 1
        slot, self._frame_slot = self._frame_slot, None
        discarded = info.opcode <= 2 and obs.failed_by_me
        if obs.create_wirelog and obs.wirelog_truncated and not discarded:
            obs.drop_entry()
        elif obs.create_wirelog or discarded:
            masked = info.mask is not None
            entry = RxFrame(
                info.length, info.head, info.opcode, info.fin, info.rsv, masked, info.mask
            )
            if obs.create_wirelog:
                obs.log_at(slot, entry)
            if discarded:
                obs.note_discarded(entry)
        if info.opcode <= 2 and self.state is OPEN:
            traffic = obs.traffic
            traffic.incoming_octets_websocket_level += info.wire_length
            traffic.incoming_octets_app_level += info.app_length
            traffic.incoming_websocket_frames += 1
            if info.fin:
                traffic.incoming_websocket_messages += 1

    def message_received(self, payload: bytes, binary: bool) -> None:
        """Hand a whole message to the case."""
        self.events.on_message(payload, binary)

    def ping_received(self, payload: bytes) -> None:
        """RFC 6455 section 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a
        Pong frame in response"; only while OPEN, as Autobahn, and only while the peer
        reads what the tester writes (:data:`PONG_BACKLOG`)."""
        if self.state is not OPEN:
            return
        waiting = self.transport_backlog + self.writes.unsent
        if waiting > PONG_BACKLOG:
            self.obs.pongs_withheld += 1
            return
        self.send_frame(Opcode.PONG, payload)

    def pong_received(self, payload: bytes) -> None:
        """Hand a pong to the case (recorded even after the tester failed)."""
        self.events.on_pong(payload)

    def close_received(self, code: int | None, reason: bytes | None) -> None:
        """The peer's close frame (Autobahn's ``onCloseFrame``, client mode)."""
        obs = self.obs
        # Stored before the validity check, so the close verdict still sees it.
        obs.remote_close_code = code
        if code is not None and not close_code_valid(code, registry=self.registry_close_codes):
            self.fail(PROTOCOL_ERROR, f"invalid close code {code}")
            if self.state is CLOSED:
                return
        if reason is not None:
            if find_invalid(reason) is not None:
                self.fail(INVALID_PAYLOAD, "invalid close reason (non-UTF-8 payload)")
                if self.state is CLOSED:
                    return
            obs.remote_close_reason = reason.decode("utf-8", "replace")
        if self.state is CLOSING:
            # The peer's answer to the tester's close.
            self.disarm(CLOSE_HANDSHAKE)
            obs.was_clean = True
            if obs.close_done_at is None:
                obs.close_done_at = self.clock()
            if self.role is SERVER:
                # The server closes TCP as soon as the closing handshake is done (Autobahn
                # aborts it: nothing more is to be written).
                self.drop(abort=True)
                return
            # In client mode the server closes TCP; if it does not, the tester does and
            # the close is not clean after all. The first close frame starts the timer;
            # more of them (a close storm) do not re-arm it.
            if self.timeouts.server_connection_drop > 0 and SERVER_DROP not in self.deadlines:
                self.arm(SERVER_DROP, self.timeouts.server_connection_drop)
        elif self.state is OPEN:
            # The peer starts the closing handshake: answer with 1000 (not an echo of
            # its code) and wait for the server to close TCP, with no timer
            # (docs/autobahn.md sections 2.7 and 4.2).
            obs.was_clean = True
            obs.close_done_at = self.clock()
            self.send_close(_NORMAL, is_reply=True)
            if self.role is SERVER:
                # RFC 6455 section 7.1.1: the server closes TCP first, once its close frame
                # is written.
                self.drop(abort=False)
