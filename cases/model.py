"""The case model: one small declarative object per case, steps and events as plain data.

A :class:`Case` says what the tester sends (``steps``), which event lists it accepts
(``expected``, OK first, then NON-STRICT), how the connection must end
(``expected_close``), and which per-case overrides of Autobahn's verdict rules apply. It
does no I/O and asserts nothing: the runner interprets the steps against a live peer,
fills an observation record, and :mod:`wsconform.harness.verdicts` judges it.

How the runner interprets a case (Autobahn's mechanics, docs/autobahn.md section 2):

* One fresh TCP + WebSocket connection per case. The case starts when the opening
  handshake completes; it ends when the TCP connection is gone. Timers never end a case
  directly: they send a close frame or drop TCP, and the verdict is computed after.
* On open, run ``steps`` in order. Steps are immediate (sends, timer arming), except
  :class:`ContinueLater`, which pauses the sequence while the connection keeps reading.
* Every complete incoming data message becomes a :class:`Message` event and every pong a
  :class:`Pong` event, appended to the received list in arrival order, unless the case
  installed case logic (:class:`ExpectEcho`, :class:`EchoLoop`), which then consumes data
  messages instead. Incoming pings are answered while OPEN and never recorded. Once the
  tester has failed the connection itself, further messages are dropped (pongs are not).
* After each recorded message or pong (never after :class:`RecordTimeout`), the runner
  asks :func:`wsconform.harness.verdicts.auto_close_due`; when it says so and the
  connection is OPEN it sends the checked close with ``expected_close.close_codes[0]``.

Times are seconds. Payloads are bytes. Opcodes are ints (any value 0-15 may be sent); the
named ones come from the protocol core's :class:`~wsconform.reference.protocol.frames.Opcode`.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from collections.abc import Mapping
from typing import Literal

from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, PONG, TEXT

from .deflate import DeflateSettings
from .exceptions import InvalidCase
from .ids import case_sort_key, section_label, subsection_label, valid_case_id

__all__ = [
    "APPLIES_TO",
    "BINARY",
    "CLOSE",
    "CLOSE_HANDSHAKE_TIMEOUT",
    "CONT",
    "NON_STRICT",
    "OK",
    "OPEN_HANDSHAKE_TIMEOUT",
    "PING",
    "PONG",
    "SERVER_CONNECTION_DROP_TIMEOUT",
    "TEXT",
    "Alternative",
    "AppliesTo",
    "Case",
    "CaseOptions",
    "CloseAfter",
    "ContinueLater",
    "EchoLoop",
    "Event",
    "ExpectEcho",
    "ExpectedClose",
    "Informational",
    "KillAfter",
    "Message",
    "Pong",
    "RecordTimeout",
    "RequireDeflate",
    "SendClose",
    "SendFrame",
    "SendMessage",
    "SendWireFrame",
    "SetWirelog",
    "Step",
    "StreamFrameData",
    "StreamFrameHeader",
    "Timeout",
    "Verdict",
    "case_sort_key",
    "fragment_payload",
    "repeat_to_length",
]

#: Which kind of target a case tests (:attr:`Case.applies_to`).
AppliesTo = Literal["both", "server", "client"]
APPLIES_TO: frozenset[str] = frozenset({"both", "server", "client"})

#: Library timers of Autobahn 0.10.9 that apply to every case (docs/autobahn.md section 4.1).
OPEN_HANDSHAKE_TIMEOUT = 5.0
CLOSE_HANDSHAKE_TIMEOUT = 1.0
SERVER_CONNECTION_DROP_TIMEOUT = 1.0

#: RFC 6455 section 5.5: "All control frames MUST have a payload length of 125 bytes or
#: less"; the checked close form keeps its reason within that (2 + 123).
_MAX_CLOSE_REASON = 123


class Verdict(enum.StrEnum):
    """``behavior`` values (docs/autobahn.md section 3.5), as the exact strings of the reports."""

    OK = "OK"
    NON_STRICT = "NON-STRICT"
    FAILED = "FAILED"
    INFORMATIONAL = "INFORMATIONAL"
    UNIMPLEMENTED = "UNIMPLEMENTED"
    #: A legacy value that no case produces; kept because reports know it.
    NO_CLOSE = "NO_CLOSE"


OK, NON_STRICT = Verdict.OK, Verdict.NON_STRICT


def repeat_to_length(pattern: bytes, length: int) -> bytes:
    """Repeat ``pattern`` and cut the last copy so the result is exactly ``length`` bytes.

    Autobahn's repeat-length option: ``BAsd7&jh23`` to 65536 bytes is 6553 copies plus
    ``BAsd7&``.

    Raises:
        ValueError: ``pattern`` is empty or ``length`` is negative.
    """
    if not pattern:
        raise ValueError("cannot repeat an empty pattern")
    if length < 0:
        raise ValueError(f"negative length {length}")
    copies, rest = divmod(length, len(pattern))
    return pattern * copies + pattern[:rest]


def fragment_payload(payload: bytes, fragment_size: int) -> list[bytes]:
    """Cut a message payload into frame payloads exactly as Autobahn's sender does.

    ``fragment_size`` 0 means no fragmentation. A payload no longer than the fragment size
    goes out as one frame. Otherwise it is cut into ``fragment_size`` pieces, and (the
    quirk of docs/autobahn.md section 2.2, kept on purpose) when its length is an exact multiple of
    the fragment size, all real pieces carry FIN=0 and one extra *empty* piece ends the
    message. The first piece carries the message opcode, the others opcode 0, only the
    last FIN=1; with permessage-deflate the compressed payload is cut and only the first
    frame has RSV1.

    Raises:
        ValueError: ``fragment_size`` is negative.
    """
    if fragment_size < 0:
        raise ValueError(f"negative fragment size {fragment_size}")
    if fragment_size == 0 or len(payload) <= fragment_size:
        return [payload]
    pieces = [payload[i : i + fragment_size] for i in range(0, len(payload), fragment_size)]
    if len(payload) % fragment_size == 0:
        pieces.append(b"")
    return pieces


# --- events -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Message:
    """A complete data message received from the peer (``msg(t, p)`` / ``msg(b, p)``)."""

    payload: bytes
    binary: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Pong:
    """A pong received from the peer (``pong(p)``)."""

    payload: bytes = b""


@dataclasses.dataclass(frozen=True, slots=True)
class Timeout:
    """A marker a case appends itself (``timeout(A)``, 6.4.x), see :class:`RecordTimeout`."""

    tag: str


#: Received and expected events. Equality is structural: same kind, same bytes, same flag.
Event = Message | Pong | Timeout


# --- steps ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class SendFrame:
    """Write one raw frame exactly as given, legal or not (Autobahn's ``sendFrame``).

    Any opcode (0-15), FIN, RSV (0-7, bit 4 = RSV1) and payload length, control frames
    included. In client mode the frame is masked with a fresh random key; in server mode
    it is not masked. The length field uses the minimal 7/16/64-bit form.

    * ``repeat_length``: ``payload`` is a pattern repeated to exactly this many bytes
      (:func:`repeat_to_length`); the wire log's ``TF`` entry shows the pattern and this
      length.
    * Write pattern: without ``sync`` and ``chopsize`` the frame joins the current burst
      (consecutive such frames may share one write). ``sync``: the frame is its own write,
      and the runner yields to the event loop (~10 µs) before the next queued write.
      ``chopsize`` n: the frame's complete wire bytes are split into n-byte writes, each
      queued like a ``sync`` write. Queued writes keep their order.
    * A close frame sent this way (opcode 8) is only bytes: it does not change the
      tester's state (compare :class:`SendClose`).
    """

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0
    repeat_length: int | None = None
    chopsize: int | None = None
    sync: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.opcode <= 15:
            raise InvalidCase("SendFrame", f"opcode {self.opcode} is not 4 bits")
        if not 0 <= self.rsv <= 7:
            raise InvalidCase("SendFrame", f"rsv {self.rsv} is not 3 bits")
        if self.repeat_length is not None and (self.repeat_length < 0 or not self.payload):
            raise InvalidCase("SendFrame", "repeat_length needs a pattern and a length >= 0")
        if self.chopsize is not None and self.chopsize < 1:
            raise InvalidCase("SendFrame", f"chopsize {self.chopsize} < 1")

    def data(self) -> bytes:
        """The payload that goes on the wire (the pattern expanded when repeating)."""
        if self.repeat_length is None:
            return self.payload
        return repeat_to_length(self.payload, self.repeat_length)

    @property
    def length(self) -> int:
        """Payload length on the wire."""
        return len(self.payload) if self.repeat_length is None else self.repeat_length


@dataclasses.dataclass(frozen=True, slots=True)
class SendMessage:
    """Send one data message through the tester's message sender (``sendMessage``).

    The payload (``payload`` repeated to ``repeat_length`` when given) is compressed when
    permessage-deflate is active, then cut by :func:`fragment_payload` with
    ``fragment_size``, or, when that is ``None``, with the case's
    ``options.auto_fragment_size`` (0 = send one frame). Frames are written like
    non-``sync`` :class:`SendFrame` frames.
    """

    payload: bytes
    binary: bool = False
    fragment_size: int | None = None
    repeat_length: int | None = None

    def __post_init__(self) -> None:
        if self.fragment_size is not None and self.fragment_size < 1:
            raise InvalidCase("SendMessage", f"fragment size {self.fragment_size} < 1")
        if self.repeat_length is not None and (self.repeat_length < 0 or not self.payload):
            raise InvalidCase("SendMessage", "repeat_length needs a pattern and a length >= 0")

    def data(self) -> bytes:
        """The whole message payload, before compression."""
        if self.repeat_length is None:
            return self.payload
        return repeat_to_length(self.payload, self.repeat_length)

    @property
    def opcode(self) -> int:
        """Opcode of the first frame."""
        return BINARY if self.binary else TEXT


@dataclasses.dataclass(frozen=True, slots=True)
class SendClose:
    """Start the closing handshake (Autobahn's ``sendClose`` / ``sendCloseFrame``).

    Only while OPEN, otherwise nothing happens: write a close frame whose body is
    ``code`` (2 bytes, when not ``None``) followed by ``reason`` (when not ``None``);
    enter CLOSING; set ``closedByMe``; record ``localCloseCode`` = ``code`` and
    ``localCloseReason`` = ``reason``; start the close-handshake timeout. In CLOSING the
    tester still records messages and pongs but no longer answers pings.

    ``raw=False`` is the *checked* form: only no code, 1000 or 3000-4999, a reason only
    with a code, at most 123 bytes. ``raw=True`` allows any body (no code with a reason,
    a 1-byte body, invalid UTF-8, a 126-byte body, any 16-bit code).
    """

    code: int | None = None
    reason: bytes | None = None
    raw: bool = False

    def __post_init__(self) -> None:
        if self.code is not None and not 0 <= self.code <= 0xFFFF:
            raise InvalidCase("SendClose", f"code {self.code} does not fit 16 bits")
        if self.raw:
            return
        if self.code is not None and self.code != 1000 and not 3000 <= self.code <= 4999:
            raise InvalidCase("SendClose", f"checked close cannot send code {self.code}")
        if self.reason is not None and self.code is None:
            raise InvalidCase("SendClose", "checked close cannot send a reason without code")
        if self.reason is not None and len(self.reason) > _MAX_CLOSE_REASON:
            raise InvalidCase("SendClose", "checked close reason longer than 123 bytes")

    def body(self) -> bytes:
        """The close frame's payload."""
        head = b"" if self.code is None else self.code.to_bytes(2, "big")
        return head + (self.reason or b"")


@dataclasses.dataclass(frozen=True, slots=True)
class StreamFrameHeader:
    """Write only the header of a frame whose payload follows later (6.4.3, 6.4.4).

    ``length`` is the declared payload length. In client mode the header carries a fresh
    mask key, and the :class:`StreamFrameData` steps that follow are masked with it,
    continuing the mask offset from one part to the next. Exactly ``length`` bytes of
    data steps must follow before any other frame is sent (the case checks this).
    """

    opcode: int
    length: int
    fin: bool = False
    rsv: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.opcode <= 15 or not 0 <= self.rsv <= 7 or self.length < 0:
            raise InvalidCase("StreamFrameHeader", "bad opcode, rsv or length")


@dataclasses.dataclass(frozen=True, slots=True)
class StreamFrameData:
    """Write these payload bytes of the frame opened by :class:`StreamFrameHeader`.

    A bare write of payload bytes only (masked in client mode as said there).
    """

    data: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class ContinueLater:
    """Pause the step sequence for ``delay`` seconds (Autobahn's ``continueLater``).

    Wire log ``CT`` now; when the delay is over and the connection is not CLOSED (CLOSING
    is fine), wire log ``CTE`` and run the remaining steps; if it is CLOSED, drop them.
    The connection keeps reading, answering pings and recording events during the pause.
    """

    delay: float
    tag: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RecordTimeout:
    """Append ``Timeout(tag)`` to the received list, if the connection is still OPEN.

    If it is not OPEN (a close was sent or received, in either direction), drop this and
    every remaining step: the 6.4 fail-fast sequence stops at the first close. Appending
    the marker does not trigger the auto-close check.
    """

    tag: str


@dataclasses.dataclass(frozen=True, slots=True)
class KillAfter:
    """Arm ``killAfter``: after ``delay`` s, fail the connection (wire log ``KL``/``KLE``).

    When it fires and the connection is OPEN: send close 1001 with reason ``Going Away``,
    set ``closedByMe`` and ``failedByMe``, start the close-handshake timeout. When it is
    CLOSING: drop TCP at once (``droppedByMe``). When CLOSED: nothing.
    """

    delay: float


@dataclasses.dataclass(frozen=True, slots=True)
class CloseAfter:
    """Arm ``closeAfter``: after ``delay`` s, close (wire log ``TI``/``TIE``).

    When it fires and the connection is OPEN: send a close frame with an *empty* body, as
    :class:`SendClose` with no code. Otherwise nothing.
    """

    delay: float


@dataclasses.dataclass(frozen=True, slots=True)
class SetWirelog:
    """Switch wire logging on or off; statistics keep counting either way.

    ``marker=True`` is Autobahn's ``enableWirelog``: a ``WLM`` entry is logged when the
    state changes. ``marker=False`` sets the flag silently (9.1-9.6).
    """

    enabled: bool
    marker: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class RequireDeflate:
    """12.x/13.x: stop unless permessage-deflate was negotiated.

    When it is not active: set the case-logic verdict to UNIMPLEMENTED (text from
    :func:`wsconform.harness.verdicts.deflate_missing`), send the checked close 1000 and
    drop the remaining steps. Otherwise do nothing.
    """


@dataclasses.dataclass(frozen=True, slots=True)
class ExpectEcho:
    """9.1-9.6 case logic: judge the echo of one big message by type and length only.

    When this step runs: set the case-logic verdict to FAILED with the text of
    :func:`wsconform.harness.verdicts.echo_waiting` (``wait`` = the case's WAITSECS).
    From then on every incoming data message is handed to
    :func:`wsconform.harness.verdicts.judge_echo` instead of being recorded; after each
    one, wire logging is switched back on (silently, no ``WLM``) and the checked close
    1000 is sent (a no-op once CLOSING).
    """

    binary: bool
    length: int
    wait: float


@dataclasses.dataclass(frozen=True, slots=True)
class EchoLoop:
    """9.7/9.8 and 12.x/13.x case logic: ``count`` messages, one in flight at a time.

    The runner drives it with :class:`wsconform.harness.verdicts.EchoLoopJudge`: when this
    step runs, ``judge.start()`` gives the initial outcome (FAILED, "did not finish") and
    the first payload; every incoming data message goes to ``judge.on_message`` (never to
    the received list), which returns the outcome and either the next payload to send or
    the end of the loop (switch wire logging on with a ``WLM`` marker, send close 1000).

    * ``pattern`` (9.7/9.8): each message is ``pattern`` repeated to ``length`` bytes and
      goes out as one :class:`SendFrame` with ``repeat_length``; echoes are checked by
      type and byte length.
    * ``data_file`` (12/13): each message is the next ``length`` units of that test data
      file read as a ring (code points for text files, bytes for binary ones), sent
      through :class:`SendMessage` (compressed, auto-fragmented); echoes are checked by
      type, length in the same units and SHA-1 of the payload bytes.
    """

    count: int
    length: int
    binary: bool
    wait: float
    pattern: bytes = b""
    data_file: str | None = None

    def __post_init__(self) -> None:
        if self.count < 1 or self.length < 0:
            raise InvalidCase("EchoLoop", "count must be >= 1 and length >= 0")
        if (self.data_file is None) == (not self.pattern) and self.length > 0:
            raise InvalidCase("EchoLoop", "give exactly one of pattern and data_file")

    @property
    def check_sha1(self) -> bool:
        """Whether echoes are compared by content (only for data files, 12/13)."""
        return self.data_file is not None


@dataclasses.dataclass(frozen=True, slots=True)
class SendWireFrame:
    """Write one frame with explicit header fields, as no conforming endpoint would.

    What :class:`SendFrame` cannot send: the masking of the other role, a chosen
    masking key, a false declared length and a non-minimal length encoding (RFC 6455
    section 5.2). The tester writes exactly these fields through
    :class:`~wsconform.harness.wire.frame.WireFrame`:

    * ``masked``: ``None`` follows the role (the tester as client masks, as server does
      not); ``True`` masks a server's frame (a client target must fail), ``False``
      leaves a client's frame unmasked (a server target must fail).
    * ``mask_key``: 4 bytes, or ``None`` for a fresh random key when masked.
    * ``length``: the declared payload length when it is not the true one (a 64-bit
      length with the top bit set); ``None`` for ``len(payload)``.
    * ``length_bits``: 7, 16 or 64, the width of the length field; ``None`` for the
      minimal one.
    * ``chopsize``, ``sync``: as :class:`SendFrame`; ``chop_header`` cuts only the
      header (masking key included) into ``chopsize``-byte writes and sends the
      payload as one write after them.

    Like :class:`SendFrame`, a close frame sent this way is only bytes.
    """

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0
    masked: bool | None = None
    mask_key: bytes | None = None
    length: int | None = None
    length_bits: int | None = None
    chopsize: int | None = None
    sync: bool = False
    chop_header: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.opcode <= 15 or not 0 <= self.rsv <= 7:
            raise InvalidCase("SendWireFrame", "bad opcode or rsv")
        if self.mask_key is not None and len(self.mask_key) != 4:
            raise InvalidCase("SendWireFrame", "a masking key has 4 bytes")
        if self.length_bits not in (None, 7, 16, 64):
            raise InvalidCase("SendWireFrame", f"no {self.length_bits}-bit length field")
        limit = {None: 2**64 - 1, 7: 125, 16: 2**16 - 1, 64: 2**64 - 1}[self.length_bits]
        declared = len(self.payload) if self.length is None else self.length
        if not 0 <= declared <= limit:
            raise InvalidCase("SendWireFrame", f"length {declared} does not fit its field")
        if self.chopsize is not None and self.chopsize < 1:
            raise InvalidCase("SendWireFrame", f"chopsize {self.chopsize} < 1")
        if self.chop_header and self.chopsize is None:
            raise InvalidCase("SendWireFrame", "chop_header needs a chopsize")


Step = (
    SendFrame
    | SendMessage
    | SendClose
    | StreamFrameHeader
    | StreamFrameData
    | ContinueLater
    | RecordTimeout
    | KillAfter
    | CloseAfter
    | SetWirelog
    | RequireDeflate
    | ExpectEcho
    | EchoLoop
    | SendWireFrame
)


# --- expectations and options -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ExpectedClose:
    """How the connection must end (``expectedClose``, docs/autobahn.md section 3.1).

    ``closed_by_me``: must the tester send the first close frame? ``close_codes``: peer
    close codes that are accepted (a close without code always is). ``require_clean``:
    the peer's close frame must arrive. ``fatal_wrong_endpoint``: Autobahn's
    ``closedByWrongEndpointIsFatal``, a wrong closing side also fails ``behavior``.
    """

    closed_by_me: bool
    close_codes: tuple[int, ...]
    require_clean: bool
    fatal_wrong_endpoint: bool = False

    def __post_init__(self) -> None:
        if not self.close_codes:
            raise InvalidCase("ExpectedClose", "needs at least one close code")


@dataclasses.dataclass(frozen=True, slots=True)
class Alternative:
    """Another acceptable way for a case to go, with its own close expectation.

    A case's ``expected`` alternatives share one :class:`ExpectedClose`; where the RFC
    leaves two endings open (the peer fails the connection, or it accepts the frame and
    the tester closes), the second one is an :class:`Alternative`: when the case's own
    expectation does not give OK, the verdicts are judged again as if ``events`` were
    its only OK list and ``expected_close`` its close expectation, and if that gives OK
    the case gets ``verdict`` (NON-STRICT unless said otherwise) with ``why`` added to
    the result text.
    """

    events: tuple[Event, ...]
    expected_close: ExpectedClose
    why: str
    verdict: Verdict = Verdict.NON_STRICT

    def __post_init__(self) -> None:
        if self.verdict not in (Verdict.OK, Verdict.NON_STRICT):
            raise InvalidCase("Alternative", "an alternative earns OK or NON-STRICT")


@dataclasses.dataclass(frozen=True, slots=True)
class Informational:
    """Force both verdicts to INFORMATIONAL after the normal rules (7.1.6, 7.13.x).

    ``result`` replaces the result text always (7.13.x). ``results`` replaces it when the
    internally computed verdict is one of its keys (7.1.6: OK or NON-STRICT).
    """

    result: str | None = None
    results: Mapping[Verdict, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class CaseOptions:
    """Connection settings of a case.

    ``auto_fragment_size``: fragment size used by :class:`SendMessage` steps that give
    none (0 = no fragmentation). ``deflate``: permessage-deflate offers and accept rule;
    ``None`` means the tester neither offers nor accepts the extension.
    """

    auto_fragment_size: int = 0
    deflate: DeflateSettings | None = None


# --- the case ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False, slots=True)
class Case:
    """One conformance case (see the module docstring for how the runner interprets it).

    ``expected`` maps a verdict to the exact received-event list that earns it, in
    matching order (OK first, then NON-STRICT); it is empty for the case-logic sections
    9, 12 and 13. The remaining fields are the per-case overrides of docs/autobahn.md section 3.4:

    * ``suppress_auto_close``: never auto-close on a match (7.1.2-7.1.6, 7.3, 7.5, 7.13).
    * ``wrong_code_fails``: a WRONG CODE close verdict also fails ``behavior`` and copies
      the close result text (7.1.1-7.1.5, 7.3.x, 7.5.1, 7.7.x, 7.9.x).
    * ``informational``: force INFORMATIONAL (7.1.6, 7.13.x).
    * ``expected_tx_frames``: opcode -> number of frames the tester itself must have sent
      of it (10.1.1), else FAILED.
    * ``hex_local_close_reason``: report ``localCloseReason`` as hex (7.5.1, invalid UTF-8).
    * ``alternatives``: other endings with their own close expectation (wsconform's
      own families; see :class:`Alternative`).
    """

    id: str
    description: str
    expectation: str
    steps: tuple[Step, ...]
    expected: Mapping[Verdict, tuple[Event, ...]]
    expected_close: ExpectedClose
    report_time: bool = False
    report_compression_ratio: bool = False
    options: CaseOptions = CaseOptions()
    suppress_auto_close: bool = False
    wrong_code_fails: bool = False
    informational: Informational | None = None
    expected_tx_frames: Mapping[int, int] | None = None
    hex_local_close_reason: bool = False
    #: The kind of target the case tests: ``"both"``, or only a ``"server"`` or a
    #: ``"client"`` (an opening-handshake case is about one side of it).
    applies_to: AppliesTo = "both"
    alternatives: tuple[Alternative, ...] = ()

    def __post_init__(self) -> None:
        if not valid_case_id(self.id):
            raise InvalidCase(
                self.id,
                "case ids are two or three dotted positive numbers (Autobahn's) or a "
                "family prefix and one or two numbers (docs/catalogs.md)",
            )
        if self.applies_to not in APPLIES_TO:
            raise InvalidCase(self.id, f"applies_to must be one of {sorted(APPLIES_TO)}")
        if not self.description or not self.expectation:
            raise InvalidCase(self.id, "description and expectation must not be empty")
        expected = {Verdict(key): tuple(events) for key, events in self.expected.items()}
        keys = list(expected)
        if keys and keys[0] is not Verdict.OK:
            raise InvalidCase(self.id, "the first expected alternative must be OK")
        if not set(keys) <= {Verdict.OK, Verdict.NON_STRICT}:
            raise InvalidCase(self.id, "expected alternatives are OK and NON-STRICT only")
        # Read-only, so a shared case cannot be changed by one run for the next.
        object.__setattr__(self, "expected", types.MappingProxyType(expected))
        self._check_streams()

    def _check_streams(self) -> None:
        owed = 0
        for step in self.steps:
            if isinstance(step, StreamFrameHeader):
                if owed:
                    raise InvalidCase(self.id, "a streamed frame is still incomplete")
                owed = step.length
            elif isinstance(step, StreamFrameData):
                if len(step.data) > owed:
                    raise InvalidCase(self.id, "more stream data than the declared length")
                owed -= len(step.data)
            elif isinstance(step, SendFrame | SendWireFrame | SendMessage | SendClose) and owed:
                raise InvalidCase(self.id, "a frame is sent inside an incomplete streamed frame")
        if owed:
            raise InvalidCase(self.id, "a streamed frame never gets its declared length")

    @property
    def section(self) -> int:
        """The section number: the first part of an Autobahn id; for a family id the
        first element of its sort key, above every Autobahn section (:mod:`.ids`)."""
        return case_sort_key(self.id)[0]

    @property
    def section_label(self) -> str:
        """The section as reports show it: ``"6"`` for 6.4.1, ``"hs"`` for hs.1.2."""
        return section_label(self.id)

    @property
    def subsection(self) -> str | None:
        """``"X.Y"`` for three-part ids, ``None`` for two-part ids (sections 2, 3, 5)."""
        return subsection_label(self.id)

    def applies_to_role(self, target: str) -> bool:
        """Whether the case tests a target of this kind (``"server"`` or ``"client"``)."""
        return self.applies_to in ("both", target)

    @property
    def sort_key(self) -> tuple[int, ...]:
        """The numeric id tuple the catalog is ordered by."""
        return case_sort_key(self.id)

    @property
    def kill_after(self) -> float | None:
        """Delay of the first :class:`KillAfter` step, if any."""
        return next((s.delay for s in self.steps if isinstance(s, KillAfter)), None)

    @property
    def close_after(self) -> float | None:
        """Delay of the first :class:`CloseAfter` step, if any."""
        return next((s.delay for s in self.steps if isinstance(s, CloseAfter)), None)

    @property
    def has_case_logic(self) -> bool:
        """Whether data messages go to case logic (9.x, 12, 13) instead of ``received``."""
        return any(isinstance(s, ExpectEcho | EchoLoop) for s in self.steps)
