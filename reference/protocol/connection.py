"""The WebSocket connection state machine, without I/O (RFC 6455 sections 5 to 7).

Bytes in (:meth:`Protocol.receive_data`, :meth:`Protocol.receive_eof`), events and bytes
out (:meth:`Protocol.events_received`, :meth:`Protocol.data_to_send`), plus two signals
for the front end: :meth:`Protocol.close_expected` (arm the close timeout) and
:meth:`Protocol.transport_should_close` (close TCP once the bytes are flushed).

:class:`Protocol` handles the OPEN and CLOSING states for both roles; the opening
handshake (CONNECTING) belongs to :class:`~wsconform.reference.protocol.client.ClientProtocol`
and :class:`~wsconform.reference.protocol.server.ServerProtocol`, which override
:meth:`Protocol.receive_data` while CONNECTING and call it for the bytes after the head.

Bad input from the peer never raises: the connection is failed (section 7.1.7) with the
close code of the :class:`FailConnection` exception, which is kept in
:attr:`Protocol.parser_exc`, and the rest of the input is discarded.
"""

from __future__ import annotations

import enum
import logging
import uuid
from typing import Any, Final, TypeAlias

from .close import NO_STATUS_RCVD, Close, is_valid_wire_code
from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    FailConnection,
    InternalError,
    InvalidPayloadData,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from .extensions.base import Extension
from .frames import (
    BINARY,
    CLOSE,
    CONT,
    PING,
    PONG,
    TEXT,
    Frame,
    Opcode,
    Parser,
    check,
    new_frame,
    serialize,
)
from .http import Request, Response
from .mask import BytesLike
from .utf8 import Utf8Validator

__all__ = [
    "CLIENT",
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "OPEN",
    "SERVER",
    "Event",
    "Protocol",
    "Side",
    "State",
]


class Side(enum.IntEnum):
    """Which end of the connection this is."""

    SERVER = 0
    CLIENT = 1


SERVER, CLIENT = Side.SERVER, Side.CLIENT


class State(enum.IntEnum):
    """The states of section 4 and 7: ``readyState`` of the WebSocket API."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


CONNECTING, OPEN, CLOSING, CLOSED = State.CONNECTING, State.OPEN, State.CLOSING, State.CLOSED

Event: TypeAlias = Frame | Request | Response

# Closes that end a connection normally: ConnectionClosedOK rather than ...Error. An
# empty close frame (1005) is a normal closure without a stated reason.
_OK_CODES: Final = frozenset({1000, 1001, NO_STATUS_RCVD})

# Opcodes 0x8-0xF are control opcodes (section 5.5).
_CONTROL: Final = 0x08


class Protocol:
    """A WebSocket connection for either role, without I/O.

    Args:
        side: :data:`SERVER` or :data:`CLIENT`; a client masks what it sends and
            expects unmasked frames, a server the reverse (section 5.1).
        state: the initial state; :data:`OPEN` when the handshake happened elsewhere.
        max_size: bound of a whole incoming message after extension decoding, in bytes;
            ``None`` for no bound (then nothing bounds the buffer: use with care).
        logger: where frames and state changes are logged at DEBUG level; by default
            ``logging.getLogger("wsconform.reference")``.
    """

    def __init__(
        self,
        side: Side,
        *,
        state: State = OPEN,
        max_size: int | None = 2**20,
        logger: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    ) -> None:
        self.id: uuid.UUID = uuid.uuid4()
        self.side = side
        self.state = state
        self.max_size = max_size
        self.logger: logging.Logger | logging.LoggerAdapter[Any] = (
            logging.getLogger("wsconform.reference") if logger is None else logger
        )
        # Formatting every frame costs more than parsing it: check once.
        self.debug = self.logger.isEnabledFor(logging.DEBUG)

        #: Negotiated extensions, in the order of the handshake's response.
        self.extensions: list[Extension] = []

        self.close_rcvd: Close | None = None
        self.close_sent: Close | None = None
        self.close_rcvd_then_sent: bool | None = None

        #: Set by the client / server handshake when it fails.
        self.handshake_exc: Exception | None = None
        #: The exception that made the connection fail on bad input, if any.
        self.parser_exc: Exception | None = None
        #: Set by a front end whose application may still answer the messages that
        #: arrived before bad input (see :meth:`fail_pending`).
        self.defer_failure = False
        #: With :attr:`defer_failure`, the bad input waiting for :meth:`fail_pending`.
        self.failure_pending: FailConnection | None = None

        # A client reads unmasked frames from the server, a server masked ones.
        self._parser = Parser(mask=side is SERVER)
        self._mask = side is CLIENT
        self._events: list[Event] = []
        self._writes: list[bytes] = []
        self._eof_rcvd = False
        # Incoming input is ignored from now on: after the peer's close frame, or once
        # the connection is failed (section 7.1.7: "MUST NOT continue to attempt to
        # process data (including a responding Close frame) from the remote endpoint").
        self._discarding = False
        self._failed = False
        self._transport_should_close = False

        # The message being received: its opcode (None between messages), its size on
        # the wire and after decoding, and the UTF-8 state of a text message.
        self._rcvd_opcode: Opcode | None = None
        self._rcvd_wire_size = 0
        self._rcvd_size = 0
        self._utf8 = Utf8Validator()
        # Payload bytes of the incomplete text frame already validated (fail fast).
        self._utf8_ahead = 0
        # The opcode of the fragmented message being sent, if any.
        self._sent_opcode: Opcode | None = None

    # --- public state ------------------------------------------------------------------

    @property
    def close_code(self) -> int | None:
        """The close code received (1005 for an empty close frame, 1006 for none).

        ``None`` until the connection is CLOSED.
        """
        if self.state is not CLOSED:
            return None
        return 1006 if self.close_rcvd is None else self.close_rcvd.code

    @property
    def close_reason(self) -> str | None:
        """The close reason received; ``None`` until the connection is CLOSED."""
        if self.state is not CLOSED:
            return None
        return "" if self.close_rcvd is None else self.close_rcvd.reason

    @property
    def close_exc(self) -> ConnectionClosed:
        """The exception a front end raises once the connection is closed."""
        rcvd, sent = self.close_rcvd, self.close_sent
        ok = rcvd is not None and sent is not None and rcvd.code in _OK_CODES
        if ok and sent is not None and sent.code in _OK_CODES:
            return ConnectionClosedOK(rcvd, sent, self.close_rcvd_then_sent)
        return ConnectionClosedError(rcvd, sent, self.close_rcvd_then_sent)

    def close_expected(self) -> bool:
        """Whether a close is under way, so the front end should arm its close timeout."""
        return self.state is CLOSING or self._transport_should_close

    def transport_should_close(self) -> bool:
        """Whether the front end must close TCP after flushing :meth:`data_to_send`.

        Section 7.1.1: "the server MUST close the underlying TCP connection
        immediately" once it sent and received a close frame; a client waits for the
        server to do it (up to its close timeout). Section 7.1.7: an endpoint that fails
        the connection closes it at once. After end of input, there is nothing left to
        wait for.
        """
        return self._transport_should_close

    # --- bytes in ----------------------------------------------------------------------

    def receive_data(self, data: BytesLike) -> None:
        """Take bytes from the network; the results come out of :meth:`events_received`.

        Never raises on bad input: it fails the connection instead.

        Raises:
            InvalidState: called while CONNECTING (the handshake subclasses handle that
                state) or after :meth:`receive_eof`.
        """
        if self._eof_rcvd:
            raise InvalidState("data received after the end of input")
        if self._discarding:
            if self.debug and data:
                self.logger.debug("< discarded %d bytes", len(data))
            return
        if self.state is CONNECTING:
            raise InvalidState("Protocol does not handle the opening handshake")
        parser = self._parser
        parser.feed(data)
        try:
            while not self._discarding:
                max_size = self.max_size
                if max_size is not None:
                    max_size -= self._rcvd_wire_size
                try:
                    frame = parser.next_frame(max_size)
                except PayloadTooBig as exc:
                    raise self._too_big(exc) from exc
                if frame is None:
                    self._validate_partial()
                    break
                self._receive_frame(frame)
        except FailConnection as exc:
            self._fail_on(exc)
        except Exception as exc:
            # A bug, ours or an extension's: still never raise on input.
            self.logger.exception("! internal error while parsing")
            internal = InternalError(f"internal error: {exc!r}")
            internal.__cause__ = exc
            self._fail_on(internal)

    def receive_eof(self) -> None:
        """Take the end of the input: the TCP connection was closed by the peer."""
        if self._eof_rcvd:
            return
        self._eof_rcvd = True
        if self.debug and self._parser.buffered and not self._discarding:
            self.logger.debug("< EOF after %d bytes of a partial frame", self._parser.buffered)
        self._discarding = True
        self._transport_should_close = True
        self._set_state(CLOSED)

    # --- events and bytes out ----------------------------------------------------------

    def events_received(self) -> list[Event]:
        """Return the events received since the last call, and forget them."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> list[bytes]:
        """Return the bytes to write to the network since the last call, and forget them."""
        writes, self._writes = self._writes, []
        return writes

    # --- sending -----------------------------------------------------------------------

    def send_continuation(self, data: bytes, fin: bool) -> None:
        """Send the next fragment of the message started by :meth:`send_text` / binary.

        Raises:
            InvalidState: not OPEN, or no fragmented message is being sent.
        """
        self._check_open()
        if self._sent_opcode is None:
            raise InvalidState("no fragmented message is being sent")
        if fin:
            self._sent_opcode = None
        self._send_frame(Frame(CONT, data, fin))

    def send_text(self, data: bytes, fin: bool = True) -> None:
        """Send a text message, or its first fragment when ``fin`` is false.

        ``data`` is the UTF-8 encoded text; it is not validated (the harness sends
        invalid text on purpose through its own codec, not through this method).

        Raises:
            InvalidState: not OPEN, or a fragmented message is being sent.
        """
        self._start_message(TEXT, data, fin)

    def send_binary(self, data: bytes, fin: bool = True) -> None:
        """Send a binary message, or its first fragment when ``fin`` is false.

        Raises:
            InvalidState: not OPEN, or a fragmented message is being sent.
        """
        self._start_message(BINARY, data, fin)

    def send_close(self, code: int | None = None, reason: str = "") -> None:
        """Start the closing handshake (section 7.1.2) with ``code`` and ``reason``.

        Without ``code`` the close frame has an empty body.

        Raises:
            InvalidState: not OPEN (a close was already sent or received).
            ProtocolError: ``code`` may not be sent, a reason without a code, or a
                reason over 123 bytes.
        """
        self._check_open()
        close = Close(NO_STATUS_RCVD if code is None else code, reason)
        close.check()
        self._send_close(close)

    def send_ping(self, data: bytes) -> None:
        """Send a ping (section 5.5.2).

        Raises:
            InvalidState: not OPEN.
            ProtocolError: ``data`` is longer than 125 bytes.
        """
        self._check_open()
        self._send_control(Frame(PING, data))

    def send_pong(self, data: bytes) -> None:
        """Send a pong (section 5.5.3), for example an unsolicited heartbeat.

        Raises:
            InvalidState: not OPEN.
            ProtocolError: ``data`` is longer than 125 bytes.
        """
        self._check_open()
        self._send_control(Frame(PONG, data))

    def fail(self, code: int, reason: str = "") -> None:
        """Fail the WebSocket connection (section 7.1.7).

        "If _The WebSocket Connection is Established_ prior to the point where the
        endpoint is required to _Fail the WebSocket Connection_, the endpoint SHOULD
        send a Close frame with an appropriate status code (Section 7.4) before
        proceeding to _Close the WebSocket Connection_". A code that may not appear on
        the wire (1005, 1006, 1015) closes TCP without a close frame.
        """
        if self._failed:
            return
        self._failed = True
        self.failure_pending = None
        if self.state is OPEN and is_valid_wire_code(code):
            reason = _truncate(reason)
            self._send_close(Close(code, reason))
        elif self.state is OPEN:
            self._set_state(CLOSING)
        self._discarding = True
        self._transport_should_close = True
        if self.debug:
            self.logger.debug("! failing the connection with %d %s", code, reason)

    # --- receiving frames --------------------------------------------------------------

    def _receive_frame(self, frame: Frame) -> None:
        if self.debug:
            self.logger.debug("< %s", frame)
        opcode = frame.opcode
        extensions = self.extensions
        if frame.rsv1 or frame.rsv2 or frame.rsv3:
            allowed: frozenset[int] | set[int]
            if len(extensions) == 1:
                allowed = extensions[0].rsv_bits
            else:
                allowed = set()
                for extension in extensions:
                    allowed |= extension.rsv_bits
            # RSV1 alone on a data frame, with an extension that uses it, passes check():
            # the common case of a compressed message is not checked again.
            if frame.rsv2 or frame.rsv3 or opcode & _CONTROL or 1 not in allowed:
                check(frame, allowed)
        elif opcode & _CONTROL:
            # A data frame without RSV bits always passes check(): only control frames.
            check(frame)
        if not opcode & _CONTROL:
            if opcode is CONT:
                # Section 5.4: "A fragmented message consists of a single frame with the
                # FIN bit clear and an opcode other than 0, followed by zero or more
                # frames with the FIN bit clear and the opcode set to 0, and terminated
                # by a single frame with the FIN bit set and an opcode of 0."
                if self._rcvd_opcode is None:
                    raise ProtocolError("unexpected continuation frame")
                # Bounds the next frame from its header, before the payload is buffered.
                self._rcvd_wire_size += len(frame.data)
            else:
                if self._rcvd_opcode is not None:
                    raise ProtocolError(f"expected a continuation frame, received {opcode.name}")
                self._rcvd_opcode = opcode
                self._rcvd_wire_size = len(frame.data)
                self._rcvd_size = 0
                if opcode is TEXT and not self._utf8_ahead:
                    self._utf8.reset()
            if extensions:
                max_size = self.max_size
                for extension in reversed(extensions):
                    frame = extension.decode(frame, max_size=max_size)
            self._receive_data_frame(frame)
            return
        for extension in reversed(extensions):
            frame = extension.decode(frame, max_size=self.max_size)
        if opcode is PING:
            self._events.append(frame)
            # Section 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send a Pong
            # frame in response, unless it already received a Close frame. [...] A Pong
            # frame sent in response to a Ping frame must have identical "Application
            # data" as found in the message body of the Ping frame being replied to."
            if self.state is OPEN or self.state is CLOSING:
                self._send_frame(new_frame(PONG, frame.data))
        elif opcode is PONG:
            self._events.append(frame)
        else:
            self._receive_close(frame)

    def _receive_data_frame(self, frame: Frame) -> None:
        """Account for a data frame of the message being received, then emit it."""
        size = self._rcvd_size = self._rcvd_size + len(frame.data)
        max_size = self.max_size
        if max_size is not None and size > max_size:
            raise PayloadTooBig(f"message over {max_size} bytes")
        if self._rcvd_opcode is TEXT:
            utf8 = self._utf8
            data: bytes | memoryview = frame.data
            if self._utf8_ahead:
                data = memoryview(frame.data)[self._utf8_ahead :]
                self._utf8_ahead = 0
            if not utf8.feed(data):
                # Section 8.1: "When an endpoint is to interpret a byte stream as UTF-8
                # but finds that the byte stream is not, in fact, a valid UTF-8 stream,
                # that endpoint MUST _Fail the WebSocket Connection_."
                raise InvalidPayloadData(
                    f"invalid UTF-8 at byte {utf8.error_position} of a text message"
                )
            if frame.fin and not utf8.complete:
                raise InvalidPayloadData(
                    f"text message ends inside a UTF-8 sequence ({utf8.consumed} bytes)"
                )
        if frame.fin:
            self._rcvd_opcode = None
            self._rcvd_wire_size = 0
        self._events.append(frame)

    def _validate_partial(self) -> None:
        """Validate the UTF-8 of an incomplete text frame as its payload arrives.

        Section 8.1 asks to fail on invalid UTF-8; failing at the first invalid byte,
        not at the end of the frame, is what Autobahn 6.4.3 and 6.4.4 call strict. Only
        without extensions: a transformed payload cannot be read before it is decoded.

        Raises:
            InvalidPayloadData: the text so far is not valid UTF-8.
        """
        if self.extensions:
            return
        # Only a frame that the checks will accept: no RSV bits, and a text frame
        # starting a message or a continuation of a text message. Decided from the
        # first header byte, before anything is unmasked: a large binary frame arriving
        # in many reads must not be unmasked again at each read.
        head = self._parser.partial_head()
        if head is None or head & 0x70:
            return
        opcode = head & 0x0F
        starts_text = opcode == TEXT and self._rcvd_opcode is None
        if not starts_text and (opcode != CONT or self._rcvd_opcode is not TEXT):
            return
        partial = self._parser.peek_partial(self._utf8_ahead)
        if partial is None:
            return
        chunk = partial[1]
        if starts_text and not self._utf8_ahead:
            self._utf8.reset()
        if not chunk:
            return
        self._utf8_ahead += len(chunk)
        if not self._utf8.feed(chunk):
            raise InvalidPayloadData(
                f"invalid UTF-8 at byte {self._utf8.error_position} of a text message"
            )

    def _receive_close(self, frame: Frame) -> None:
        # Close.parse raises ProtocolError (1-byte body, invalid code) or
        # InvalidPayloadData (reason not UTF-8).
        close = Close.parse(frame.data)
        self.close_rcvd = close
        self._events.append(frame)
        # The peer "MUST NOT send any more data frames" after its close: ignore the rest.
        self._discarding = True
        if self.state is OPEN:
            # Section 5.5.1: "If an endpoint receives a Close frame and did not
            # previously send a Close frame, the endpoint MUST send a Close frame in
            # response. (When sending a Close frame in response, the endpoint typically
            # echos the status code it received.)"
            self._send_close(Close(close.code, ""))
        elif self.close_rcvd_then_sent is None:
            self.close_rcvd_then_sent = False
        if self.side is SERVER:
            # Section 7.1.1: the server closes TCP first, once both closes were seen.
            self._transport_should_close = True
        if self.debug:
            self.logger.debug("= close handshake done: received %s", close)

    def _too_big(self, exc: PayloadTooBig) -> PayloadTooBig:
        """Restate the parser's error in terms of the message limit."""
        length = self._parser.pending_length()
        if self._rcvd_wire_size:
            return PayloadTooBig(
                f"message over {self.max_size} bytes: a frame of {length}"
                f" after {self._rcvd_wire_size}"
            )
        return PayloadTooBig(f"message over {self.max_size} bytes: a frame of {length}")

    def fail_pending(self) -> None:
        """Fail the connection for the bad input held back by :attr:`defer_failure`.

        Does nothing when no failure is pending.
        """
        exc = self.failure_pending
        if exc is not None:
            self.fail(exc.code, str(exc))

    def _fail_on(self, exc: FailConnection) -> None:
        """Fail the connection because of bad input, keeping ``exc``.

        With :attr:`defer_failure`, an OPEN connection stops reading but stays OPEN
        until :meth:`fail_pending`: the messages that arrived before the bad input
        (in the same read, often) may still be answered, as the peer expects when it
        sends a message and then a bad frame (Autobahn's cases 3.2, 4.1.3, 5.15: the
        echo first is OK, no echo is only NON-STRICT). Section 7.1.7 forbids
        processing data *after* the failure, not answering what came before it.
        """
        self.parser_exc = exc
        if self.debug:
            self.logger.debug("! %s: %s", type(exc).__name__, exc)
        if self.defer_failure and self.state is OPEN:
            self._discarding = True
            self.failure_pending = exc
            return
        self.fail(exc.code, str(exc))

    # --- sending frames ----------------------------------------------------------------

    def _check_open(self) -> None:
        if self.state is not OPEN:
            raise InvalidState(f"connection is {self.state.name}")

    def _start_message(self, opcode: Opcode, data: bytes, fin: bool) -> None:
        if self.state is not OPEN:
            raise InvalidState(f"connection is {self.state.name}")
        if self._sent_opcode is not None:
            raise InvalidState(f"a fragmented {self._sent_opcode.name} message is being sent")
        if not fin:
            self._sent_opcode = opcode
        frame = new_frame(opcode, data, fin)
        for extension in self.extensions:
            frame = extension.encode(frame)
        if self.debug:
            self.logger.debug("> %s", frame)
        self._writes.append(serialize(frame, self._mask))

    def _send_control(self, frame: Frame) -> None:
        check(frame)
        self._send_frame(frame)

    def _send_close(self, close: Close) -> None:
        """Send ``close`` and move to CLOSING (section 7.1.2)."""
        self.close_sent = close
        if self.close_rcvd is not None:
            self.close_rcvd_then_sent = True
        self._send_frame(Frame(CLOSE, close.serialize()))
        self._set_state(CLOSING)

    def _send_frame(self, frame: Frame) -> None:
        for extension in self.extensions:
            frame = extension.encode(frame)
        if self.debug:
            self.logger.debug("> %s", frame)
        self._writes.append(serialize(frame, self._mask))

    def _set_state(self, state: State) -> None:
        if state is self.state:
            return
        self.state = state
        if self.debug:
            if state is CLOSED:
                self.logger.debug(
                    "= connection is CLOSED: code %s, close received %s, close sent %s",
                    self.close_code,
                    self.close_rcvd,
                    self.close_sent,
                )
            else:
                self.logger.debug("= connection is %s", state.name)


def _truncate(reason: str) -> str:
    """Cut ``reason`` to the 123 bytes a close frame can carry, on a character boundary."""
    encoded = reason.encode()
    if len(encoded) <= 123:
        return reason
    return encoded[:120].decode(errors="ignore") + "..."
