"""What the runner observes during one case: the record the verdicts are computed from.

The runner fills one :class:`Observation` per case while it runs (the tester's view of
the connection, in Autobahn's names, docs/autobahn.md sections 7.3 and 5), then hands it with the
:class:`~wsconform.cases.model.Case` to :func:`wsconform.harness.verdicts.judge`.
Everything here is plain data with small helpers that keep the statistics and the wire
log consistent; nothing does I/O.

Bounds: what one case keeps does not grow with what the peer sends, so a peer that floods
the tester costs it neither memory nor report size. The wire log keeps at most
:data:`WIRELOG_LIMIT` entries and :data:`WIRELOG_BYTES_LIMIT` bytes of data, each entry
at most :data:`WIRELOG_HEAD` bytes (all a report shows); the received-event list keeps at
most :data:`RECEIVED_LIMIT` events and :data:`RECEIVED_BYTES_LIMIT` payload bytes; the
frames discarded after the tester failed the connection are counted, and the first
:data:`DISCARDED_KEEP` kept. Past a bound the observation counts exactly what it did not
keep (``wirelog_dropped``, ``received_dropped``), and a truncated received list never
matches an expectation (no expected list is anywhere near these sizes: the longest has
10 events, 2.11, and the largest 64 KiB, 10.1.1). The statistics (frames by opcode,
octets by read and write size, traffic counters) are always exact.

The largest wire log of a case against a conforming server has fewer than 200 entries
(2.11); a report renders an entry in about 0.5 KB (JSON and HTML together), so a full
log stays well under 1 MB per case.
"""

from __future__ import annotations

import dataclasses

from wsconform.cases.model import Event, Message, Pong, Verdict

__all__ = [
    "DISCARDED_KEEP",
    "RECEIVED_BYTES_LIMIT",
    "RECEIVED_LIMIT",
    "WIRELOG_BYTES_LIMIT",
    "WIRELOG_HEAD",
    "WIRELOG_LIMIT",
    "BytesLike",
    "CloseAfterArmed",
    "CloseAfterFired",
    "ContinueLaterArmed",
    "ContinueLaterFired",
    "KillAfterArmed",
    "KillAfterFired",
    "Observation",
    "RxFrame",
    "RxOctets",
    "TrafficStats",
    "TxFrame",
    "TxOctets",
    "WireLogEntry",
    "WirelogMode",
]

#: What the ``note_*`` helpers accept: the runner may hand over views of its buffers.
BytesLike = bytes | bytearray | memoryview

#: Bytes of data kept per wire log entry: the report shows the first 64.
WIRELOG_HEAD = 64
#: Wire log entries kept per case, and bytes of data over all of them.
WIRELOG_LIMIT = 1_000
WIRELOG_BYTES_LIMIT = 32 * 1024
#: Events kept in the received list, and payload bytes over all of them.
RECEIVED_LIMIT = 256
RECEIVED_BYTES_LIMIT = 4 * 2**20
#: Discarded frames kept (all are counted).
DISCARDED_KEEP = 5


# --- wire log entries (docs/autobahn.md 7.5) ------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class RxOctets:
    """``RO``: bytes read from TCP (``head`` = at most the first 64)."""

    length: int
    head: bytes

    @classmethod
    def of(cls, data: BytesLike) -> RxOctets:
        """The entry for one read."""
        return cls(len(data), bytes(data[:WIRELOG_HEAD]))


@dataclasses.dataclass(frozen=True, slots=True)
class TxOctets:
    """``TO``: bytes written to TCP; ``sync`` for queued (sync or chopped) writes."""

    length: int
    head: bytes
    sync: bool

    @classmethod
    def of(cls, data: BytesLike, sync: bool) -> TxOctets:
        """The entry for one write."""
        return cls(len(data), bytes(data[:WIRELOG_HEAD]), sync)


@dataclasses.dataclass(frozen=True, slots=True)
class RxFrame:
    """``RF``: a frame received; ``head`` of the unmasked (decompressed) payload."""

    length: int
    head: bytes
    opcode: int
    fin: bool
    rsv: int
    masked: bool
    mask: bytes | None


@dataclasses.dataclass(frozen=True, slots=True)
class TxFrame:
    """``TF``: a frame sent. ``length``/``head`` describe the payload *pattern* handed to
    the send call; ``repeat_length`` is the target length when it was repeated."""

    length: int
    head: bytes
    opcode: int
    fin: bool
    rsv: int
    mask: bytes | None
    repeat_length: int | None
    chopsize: int | None
    sync: bool


@dataclasses.dataclass(frozen=True, slots=True)
class ContinueLaterArmed:
    """``CT``: a :class:`~wsconform.cases.model.ContinueLater` pause began."""

    delay: float
    tag: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class ContinueLaterFired:
    """``CTE``: the pause ended and the steps continue."""

    tag: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class KillAfterArmed:
    """``KL``: ``killAfter`` armed."""

    delay: float


@dataclasses.dataclass(frozen=True, slots=True)
class KillAfterFired:
    """``KLE``: ``killAfter`` fired (the connection is being failed)."""


@dataclasses.dataclass(frozen=True, slots=True)
class CloseAfterArmed:
    """``TI``: ``closeAfter`` armed."""

    delay: float


@dataclasses.dataclass(frozen=True, slots=True)
class CloseAfterFired:
    """``TIE``: ``closeAfter`` fired."""


@dataclasses.dataclass(frozen=True, slots=True)
class WirelogMode:
    """``WLM``: wire logging switched on or off."""

    enabled: bool


WireLogEntry = (
    RxOctets
    | TxOctets
    | RxFrame
    | TxFrame
    | ContinueLaterArmed
    | ContinueLaterFired
    | KillAfterArmed
    | KillAfterFired
    | CloseAfterArmed
    | CloseAfterFired
    | WirelogMode
)

#: Entries that wire logging switches off; the timer and mode entries are always logged.
_TRAFFIC_ENTRIES = (RxOctets, TxOctets, RxFrame, TxFrame)


def _data_size(entry: WireLogEntry) -> int:
    """Bytes of data an entry keeps (its ``head``)."""
    return len(entry.head) if isinstance(entry, _TRAFFIC_ENTRIES) else 0


# --- traffic statistics (docs/autobahn.md 7.6) ----------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclasses.dataclass(slots=True)
class TrafficStats:
    """Autobahn's traffic counters, one set per direction.

    *WireLevel* counts bytes on the wire while OPEN (``preopen_*`` the handshake bytes);
    *WebSocketLevel* data-message payload bytes as framed (compressed); *AppLevel* the
    same before compression / after decompression; frames and messages count data frames
    (opcodes 0-2) and data messages.
    """

    outgoing_octets_wire_level: int = 0
    outgoing_octets_websocket_level: int = 0
    outgoing_octets_app_level: int = 0
    outgoing_websocket_frames: int = 0
    outgoing_websocket_messages: int = 0
    preopen_outgoing_octets_wire_level: int = 0
    incoming_octets_wire_level: int = 0
    incoming_octets_websocket_level: int = 0
    incoming_octets_app_level: int = 0
    incoming_websocket_frames: int = 0
    incoming_websocket_messages: int = 0
    preopen_incoming_octets_wire_level: int = 0

    @property
    def outgoing_compression_ratio(self) -> float | None:
        """WebSocketLevel / AppLevel, ``None`` when nothing was sent."""
        return _ratio(self.outgoing_octets_websocket_level, self.outgoing_octets_app_level)

    @property
    def incoming_compression_ratio(self) -> float | None:
        """WebSocketLevel / AppLevel, ``None`` when nothing was received."""
        return _ratio(self.incoming_octets_websocket_level, self.incoming_octets_app_level)

    @property
    def outgoing_websocket_overhead(self) -> float | None:
        """(Wire - WebSocketLevel) / WebSocketLevel, ``None`` when undefined."""
        return _ratio(
            self.outgoing_octets_wire_level - self.outgoing_octets_websocket_level,
            self.outgoing_octets_websocket_level,
        )

    @property
    def incoming_websocket_overhead(self) -> float | None:
        """(Wire - WebSocketLevel) / WebSocketLevel, ``None`` when undefined."""
        return _ratio(
            self.incoming_octets_wire_level - self.incoming_octets_websocket_level,
            self.incoming_octets_websocket_level,
        )

    def snapshot(self) -> TrafficStats:
        """A copy, frozen in time (what a successful 12/13 case reports)."""
        return dataclasses.replace(self)


# --- the observation ---------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Observation:
    """The tester's record of one case run; "me" is the tester (docs/autobahn.md section 5).

    The runner sets:

    * ``is_server``: the tester's role (True when testing a client).
    * ``opened``: the opening handshake completed (``onOpen`` ran).
    * ``received``: through :meth:`record` (messages and pongs in arrival order, plus the
      :class:`~wsconform.cases.model.Timeout` markers of 6.4).
    * ``closed_by_me``: the tester sent a close frame while OPEN that was not a reply
      (auto-close, a case's close, closeAfter, killAfter, or failing the peer).
      ``failed_by_me``: the tester failed the connection (a peer violation or killAfter).
      ``dropped_by_me``: the tester closed the TCP socket itself.
    * ``was_clean``: set True when the peer's close frame arrives; reset to False by the
      close-handshake timeout and the server-drop timeout; ``was_not_clean_reason`` says
      why it is False. The three ``was_*_timeout`` flags record which timer fired.
    * ``local_close_*``: what the tester's close frame carried (``None`` = absent);
      ``remote_close_*``: what the peer's carried (code stored before the tester checks
      its validity, so the close verdict still sees it).
    * ``logic_behavior``/``logic_result``: the verdict and text that case logic (9.x,
      12/13, see :mod:`wsconform.harness.verdicts`) decided during the run.
    * ``traffic``: live counters; ``traffic_stats``: the snapshot a successful 12/13
      case reports (``None`` otherwise).
    * ``http_request``/``http_response``: the raw handshake heads (``None`` = unknown).
    * ``handshake_status``: the status line of the target's answer to the upgrade
      (``HTTP/1.0 200 OK``), ``None`` until one arrived. ``handshake_failure``: why the
      opening handshake failed, as one line (the status that is not 101, an answer that
      is not HTTP, a wrong ``Sec-WebSocket-Accept``, a timeout); ``None`` when it
      succeeded. (A TLS handshake that fails is a harness error of the connect, not a
      case's record: see :mod:`wsconform.harness.wire.client`.)
    * ``pongs_withheld``: pings the tester did not answer because the peer was not
      reading (see :mod:`wsconform.harness.wire.connection`).
    * ``discarded_frames``: data frames that arrived after the tester failed the
      connection, which it therefore did not deliver (RFC 6455 section 7.1.7: once
      the connection is failed, the endpoint "MUST NOT continue to attempt to process
      data"); ``discarded`` keeps the first :data:`DISCARDED_KEEP` of them.
    * Statistics and the wire log through the ``note_*`` methods, :meth:`log` and
      :meth:`set_wirelog`; ``wirelog_dropped``/``received_dropped`` count what the
      bounds kept out.
    """

    is_server: bool = False
    opened: bool = False
    received: list[Event] = dataclasses.field(default_factory=list)
    received_truncated: bool = False
    received_bytes: int = 0
    received_dropped: int = 0
    closed_by_me: bool = False
    failed_by_me: bool = False
    dropped_by_me: bool = False
    was_clean: bool = False
    was_not_clean_reason: str | None = None
    was_close_handshake_timeout: bool = False
    was_open_handshake_timeout: bool = False
    was_server_connection_drop_timeout: bool = False
    local_close_code: int | None = None
    local_close_reason: bytes | None = None
    remote_close_code: int | None = None
    remote_close_reason: str | None = None
    logic_behavior: Verdict | None = None
    logic_result: str | None = None
    traffic: TrafficStats = dataclasses.field(default_factory=TrafficStats)
    traffic_stats: TrafficStats | None = None
    http_request: str | None = None
    http_response: str | None = None
    handshake_status: str | None = None
    handshake_failure: str | None = None
    #: On the connection's clock: when the opening handshake completed, when the closing
    #: handshake completed (the peer's close frame answered the tester's, or the tester
    #: answered the peer's), and when TCP was gone; the strict profile's timing rules
    #: read them (:mod:`wsconform.harness.strict`).
    opened_at: float | None = None
    #: The peer ended its side of TCP in order (a FIN read), not with a reset.
    eof_received: bool = False
    close_done_at: float | None = None
    lost_at: float | None = None
    pongs_withheld: int = 0
    discarded_frames: int = 0
    discarded: list[RxFrame] = dataclasses.field(default_factory=list)
    create_wirelog: bool = True
    wirelog: list[WireLogEntry] = dataclasses.field(default_factory=list)
    wirelog_truncated: bool = False
    wirelog_bytes: int = 0
    wirelog_dropped: int = 0
    rx_octet_stats: dict[int, int] = dataclasses.field(default_factory=dict)
    tx_octet_stats: dict[int, int] = dataclasses.field(default_factory=dict)
    rx_frame_stats: dict[int, int] = dataclasses.field(default_factory=dict)
    tx_frame_stats: dict[int, int] = dataclasses.field(default_factory=dict)

    # -- received events

    def record(self, event: Event) -> None:
        """Append a received event, within the bounds of the module docstring."""
        size = len(event.payload) if isinstance(event, Message | Pong) else 0
        if (
            self.received_truncated
            or len(self.received) >= RECEIVED_LIMIT
            or self.received_bytes + size > RECEIVED_BYTES_LIMIT
        ):
            self.received_truncated = True
            self.received_dropped += 1
            return
        self.received.append(event)
        self.received_bytes += size

    def note_discarded(self, frame: RxFrame) -> None:
        """Count a data frame the tester discarded after failing the connection."""
        self.discarded_frames += 1
        if len(self.discarded) < DISCARDED_KEEP:
            self.discarded.append(frame)

    # -- wire log and statistics

    def drop_entry(self) -> None:
        """Count an entry that the full wire log does not keep (``wirelog_truncated``
        is set once the log is full: callers may then count instead of building)."""
        self.wirelog_truncated = True
        self.wirelog_dropped += 1

    def log(self, entry: WireLogEntry) -> None:
        """Append a wire log entry; traffic entries only while wire logging is on."""
        self.log_at(None, entry)

    def log_at(self, slot: int | None, entry: WireLogEntry) -> None:
        """Put an entry at position ``slot`` of the wire log (``None``: at the end).

        A received frame is logged once it is whole, but what it caused (the tester's
        close frame when its header already broke a rule) may be logged before; the
        connection notes where the frame began (:meth:`log_slot`) and the frame's entry
        goes there, so that the log lists causes before effects. Once the log is full
        (:data:`WIRELOG_LIMIT` entries or :data:`WIRELOG_BYTES_LIMIT` bytes) nothing is
        kept: the log stops at the point it was full, and later entries are counted.
        """
        if isinstance(entry, _TRAFFIC_ENTRIES) and not self.create_wirelog:
            return
        size = _data_size(entry)
        if (
            self.wirelog_truncated
            or len(self.wirelog) >= WIRELOG_LIMIT
            or self.wirelog_bytes + size > WIRELOG_BYTES_LIMIT
        ):
            self.drop_entry()
            return
        self.wirelog_bytes += size
        if slot is None or slot >= len(self.wirelog):
            self.wirelog.append(entry)
        else:
            self.wirelog.insert(slot, entry)

    def log_slot(self) -> int:
        """Where an entry logged now would go (see :meth:`log_at`)."""
        return len(self.wirelog)

    def set_wirelog(self, enabled: bool, *, marker: bool = True) -> None:
        """Switch wire logging; with ``marker`` log ``WLM`` when the state changes."""
        if marker and enabled != self.create_wirelog:
            self.create_wirelog = enabled
            self.log(WirelogMode(enabled))
        self.create_wirelog = enabled

    def note_rx_octets(self, data: BytesLike) -> None:
        """Count one TCP read and log it (``RO``)."""
        self.rx_octet_stats[len(data)] = self.rx_octet_stats.get(len(data), 0) + 1
        if self.wirelog_truncated and self.create_wirelog:
            self.drop_entry()
        else:
            self.log(RxOctets.of(data))

    def note_tx_octets(self, data: BytesLike, sync: bool) -> None:
        """Count one TCP write and log it (``TO``)."""
        self.tx_octet_stats[len(data)] = self.tx_octet_stats.get(len(data), 0) + 1
        if self.wirelog_truncated and self.create_wirelog:
            self.drop_entry()
        else:
            self.log(TxOctets.of(data, sync))

    def note_rx_frame(
        self, opcode: int, fin: bool, rsv: int, payload: BytesLike, *, mask: bytes | None
    ) -> None:
        """Count one received frame by opcode and log it (``RF``)."""
        self.rx_frame_stats[opcode] = self.rx_frame_stats.get(opcode, 0) + 1
        entry = RxFrame(
            len(payload), bytes(payload[:WIRELOG_HEAD]), opcode, fin, rsv, mask is not None, mask
        )
        self.log(entry)

    def note_tx_frame(
        self,
        opcode: int,
        fin: bool,
        rsv: int,
        pattern: BytesLike,
        *,
        mask: bytes | None,
        repeat_length: int | None = None,
        chopsize: int | None = None,
        sync: bool = False,
    ) -> None:
        """Count one sent frame by opcode and log it (``TF``); ``pattern`` as handed over."""
        self.tx_frame_stats[opcode] = self.tx_frame_stats.get(opcode, 0) + 1
        head = bytes(pattern[:WIRELOG_HEAD])
        entry = TxFrame(len(pattern), head, opcode, fin, rsv, mask, repeat_length, chopsize, sync)
        self.log(entry)
