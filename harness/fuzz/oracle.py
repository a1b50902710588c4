"""The oracle: what a conforming server must answer to a conversation, as a catalog case.

:func:`predict` feeds the conversation, frame by frame, to the reference sans-I/O core
(:class:`~wsconform.reference.protocol.connection.Protocol` in the server role) playing
an echo server, and records what it does: echo each complete message with its type,
answer each ping with a pong carrying the same data, in order, fail the connection with
a close code, or answer a close frame. :func:`to_case` writes that prediction in the
catalog's own vocabulary (:mod:`wsconform.cases.model`: expected event alternatives and
an :class:`~wsconform.cases.model.ExpectedClose`), so the runner executes a generated
conversation like any case and :mod:`wsconform.harness.verdicts` judges it.

Alternatives the RFC allows:

* A message completed just before the frame that fails the connection may be echoed
  (OK) or lost with the connection (NON-STRICT), as Autobahn grades 3.2, 4.1.3 and 5.15;
  so may one completed just before the tester's close frame, which the peer's library
  answers before its application echoes.
* A trailing ping after a complete message may be answered before the echo (the
  library answers pings, the application echoes later): NON-STRICT.
* Invalid UTF-8 may be detected at the first bad byte or at the end of its frame: the
  events before the failure are the same, so both give the same case.
* A non-minimal length encoding (section 5.2: "the minimal number of bytes MUST be
  used to encode the length") binds the sender; the RFC gives the receiver no rule.
  As the catalog's ``fr.1`` cases judge it (``cases/families/framing.py``), failing
  the connection with 1002 is OK, and accepting the frame is NON-STRICT: the case's
  :class:`~wsconform.cases.model.Alternative` is what a peer that reads every length
  form does with the conversation (:attr:`Prediction.accepted`).
* Where two rules are broken at once, or RFC 6455 leaves the choice, more than one
  close code is accepted: a close reason that is not UTF-8 (1007 or 1002, as 7.5.1),
  a text frame with a protocol error and invalid UTF-8 (1002 or 1007), a 64-bit length
  with the top bit set (1002 or 1009).

Each failing prediction names the RFC sentence the conversation breaks
(:attr:`Prediction.rule`), which the case's expectation quotes.
"""

from __future__ import annotations

import dataclasses

from wsconform.cases.model import (
    NON_STRICT,
    OK,
    Alternative,
    Case,
    CloseAfter,
    Event,
    ExpectedClose,
    KillAfter,
    Message,
    Pong,
    SendFrame,
    SendWireFrame,
    Step,
)
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.connection import CLIENT, OPEN, SERVER, Protocol, Side
from wsconform.reference.protocol.exceptions import FailConnection, ProtocolError
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, TEXT, Frame, Opcode
from wsconform.reference.protocol.utf8 import find_invalid

from .conversation import Conversation

__all__ = [
    "RULES",
    "Prediction",
    "predict",
    "to_case",
]

#: The RFC 6455 sentence behind each kind of failure (quoted in the case's expectation).
RULES: dict[str, str] = {
    "rsv": 'RFC 6455 section 5.2: RSV1-3 "MUST be 0 unless an extension is negotiated '
    'that defines meanings for non-zero values".',
    "opcode": 'RFC 6455 section 5.2: "If an unknown opcode is received, the receiving '
    'endpoint MUST _Fail the WebSocket Connection_."',
    "control": 'RFC 6455 section 5.5: "All control frames MUST have a payload length of '
    '125 bytes or less and MUST NOT be fragmented."',
    "fragment": "RFC 6455 section 5.4: a fragmented message is one frame with FIN clear "
    "and an opcode other than 0, then frames with opcode 0, the last with FIN set.",
    "utf8": 'RFC 6455 section 8.1: "When an endpoint is to interpret a byte stream as '
    "UTF-8 but finds that the byte stream is not, in fact, a valid UTF-8 stream, that "
    'endpoint MUST _Fail the WebSocket Connection_."',
    "close": "RFC 6455 section 7.4 and 5.5.1: a close body is empty or a valid 2-byte "
    "code followed by a UTF-8 reason, at most 125 bytes.",
    "length": 'RFC 6455 section 5.2: "the minimal number of bytes MUST be used to encode '
    'the length" and the most significant bit of a 64-bit length "MUST be 0".',
    "mask-client": 'RFC 6455 section 5.1: "A client MUST close a connection if it detects '
    'a masked frame."',
    "mask": 'RFC 6455 section 5.1: "The server MUST close the connection upon receiving a '
    'frame that is not masked."',
    "echo": 'RFC 6455 section 5.5.2: "Upon receipt of a Ping frame, an endpoint MUST send '
    'a Pong frame in response"; an echo server returns each message with its type.',
    "closing": 'RFC 6455 section 5.5.1: "If an endpoint receives a Close frame and did not '
    'previously send a Close frame, the endpoint MUST send a Close frame in response."',
}


@dataclasses.dataclass(frozen=True, slots=True)
class Prediction:
    """What a conforming echo server does with one conversation.

    ``events``: the messages and pongs it sends, in order (the OK alternative);
    ``tolerated``: another acceptable order or loss (NON-STRICT), if any. ``fails``:
    it must fail the connection, with one of ``close_codes``; otherwise it ends with a
    closing handshake (started by the tester's close frame when ``close_rcvd``), using
    one of ``close_codes`` or no code. ``rule`` is the RFC sentence, ``reason`` the
    core's own words, ``failing_frame`` the 1-based frame that fails it.
    ``accepted``: when it fails on a non-minimal length encoding, the prediction for a
    peer that accepts every length form (NON-STRICT, as ``fr.1``).
    """

    events: tuple[Event, ...]
    tolerated: tuple[Event, ...] | None
    fails: bool
    close_rcvd: bool
    close_codes: tuple[int, ...]
    rule: str
    reason: str
    failing_frame: int | None = None
    accepted: Prediction | None = None


def _kind(frame: WireFrame, exc: FailConnection, in_text: bool) -> tuple[str, tuple[int, ...]]:
    """Which rule ``frame`` broke, and the close codes that are defensible for it."""
    text = str(exc)
    code = exc.code
    if frame.opcode == CLOSE and frame.fin and not frame.rsv and len(frame.payload) <= 125:
        if code == 1007:
            return "close", (1007, 1002)
        return "close", (code,)
    if "top bit" in text:
        return "length", (1002, 1009)
    if "non-minimal" in text:
        return "length", (1002,)
    if "unmasked" in text:
        return "mask", (1002,)
    if "masked frame" in text:
        return "mask-client", (1002,)
    if code == 1007:
        return "utf8", (1007,)
    codes: tuple[int, ...] = (code,)
    carries_text = frame.opcode == TEXT or (frame.opcode == CONT and in_text)
    if carries_text and find_invalid(frame.payload, final=False) is not None:
        codes = (code, 1007) if code != 1007 else codes
    if "RSV" in text:
        return "rsv", codes
    if "reserved opcode" in text:
        return "opcode", codes
    if "control frame" in text or frame.opcode >= 8:
        return "control", codes
    return "fragment", codes


def predict(
    conversation: Conversation, *, max_size: int = 2**20, side: Side = SERVER
) -> Prediction:
    """Run the conversation through the reference core as an echo server (``side``
    :data:`CLIENT`: as an echo client, for a conversation a server writes).

    The conversation's frames are what the other side sends; a frame masked wrong for
    it, or with a non-minimal or false length, is judged as the core judges it.
    """
    core = Protocol(side, max_size=max_size)
    events: list[Event] = []
    parts: list[bytes] = []
    opcode: Opcode | None = None
    in_text = False
    for index, frame in enumerate(conversation.frames, start=1):
        core.receive_data(frame.encode())
        for event in core.events_received():
            if not isinstance(event, Frame):
                continue
            if event.opcode is TEXT or event.opcode is BINARY:
                opcode, parts = event.opcode, [event.data]
            elif event.opcode is CONT:
                parts.append(event.data)
            elif event.opcode is PING:
                events.append(Pong(event.data))
                continue
            else:
                continue
            if event.fin and opcode is not None and core.state is OPEN:
                events.append(Message(b"".join(parts), opcode is BINARY))
                opcode, parts = None, []
        in_text = opcode is TEXT
        exc = core.parser_exc
        if isinstance(exc, FailConnection):
            kind, codes = _kind(frame, exc, in_text or frame.opcode == CONT)
            accepted = None
            if "non-minimal" in str(exc):
                # Section 5.2 binds the sender: a peer may read the long form (fr.1).
                accepted = predict(_minimal(conversation), max_size=max_size, side=side)
            # The message completed by the frames just before may be lost.
            tolerated = tuple(e for e in events if not isinstance(e, Message))
            return Prediction(
                tuple(events),
                tolerated if tolerated != tuple(events) else None,
                True,
                False,
                codes,
                RULES[kind],
                str(exc),
                index,
                accepted,
            )
        if core.close_rcvd is not None:
            code = core.close_rcvd.code
            codes = (1000,) if code == 1005 else (1000, code)
            # The library answers the close at once; an echo its application had not
            # sent yet is lost (section 5.5.1: no data frame after a close is sent).
            lost = tuple(e for e in events if not isinstance(e, Message))
            return Prediction(
                tuple(events),
                lost if lost != tuple(events) else None,
                False,
                True,
                codes,
                RULES["closing"],
                "",
            )
    return Prediction(tuple(events), _pongs_first(events), False, False, (1000,), RULES["echo"], "")


def _minimal(conversation: Conversation) -> Conversation:
    """The conversation with every true length in its minimal encoding."""
    return Conversation(
        tuple(
            dataclasses.replace(send, frame=dataclasses.replace(send.frame, length_encoding=None))
            if send.frame.length is None
            else send
            for send in conversation.sends
        )
    )


def _pongs_first(events: list[Event]) -> tuple[Event, ...] | None:
    """The order of a peer that answers pings before its application echoes."""
    reordered = tuple(
        sorted(events, key=lambda e: 0 if isinstance(e, Pong) else 1)  # stable
    )
    return reordered if reordered != tuple(events) else None


def _step(frame: WireFrame, sync: bool, chopsize: int | None, masked: bool) -> Step:
    """The step that writes ``frame``: a :class:`SendFrame` when the frame is what the
    role writes anyway (its masking, minimal true length), else a
    :class:`SendWireFrame` with the frame's own header fields."""
    plain = frame.masked is masked and frame.length is None and frame.length_encoding is None
    if plain:
        return SendFrame(
            frame.opcode, frame.payload, frame.fin, frame.rsv, chopsize=chopsize, sync=sync
        )
    encoding = frame.length_encoding
    return SendWireFrame(
        frame.opcode,
        frame.payload,
        frame.fin,
        frame.rsv,
        masked=frame.masked,
        length=frame.length,
        length_bits=None if encoding is None else int(encoding),
        chopsize=chopsize,
        sync=sync,
    )


def to_case(
    conversation: Conversation,
    prediction: Prediction | None = None,
    *,
    case_id: str,
    kill_after: float = 1.0,
    masked: bool = True,
) -> Case:
    """The conversation as a catalog case whose expectations are the oracle's.

    ``masked``: the conversation is a client's (the case tests a server); ``False``, a
    server's.

    Steps: every frame as a :class:`SendFrame`, or a :class:`SendWireFrame` when it is
    masked wrong for the role or has a chosen length (a close frame too: bytes only,
    so the peer's answer is the first close the tester sees), then the ending: when the peer
    must go on, the tester closes (1000) as soon as the expected events are in, or
    after ``kill_after`` with ``closeAfter`` (an application echoes after its library
    read the frames: a close sent at once would race the echo); ``killAfter`` when it
    must fail or answer a close (the tester fails the connection itself if it is still
    up by then).
    """
    if prediction is None:
        prediction = predict(conversation, side=SERVER if masked else CLIENT)
    steps: list[Step] = [
        _step(send.frame, send.pattern.sync, send.pattern.chopsize, masked)
        for send in conversation.sends
    ]
    expected: dict[object, tuple[Event, ...]] = {OK: prediction.events}
    if prediction.tolerated is not None:
        expected[NON_STRICT] = prediction.tolerated
    if prediction.fails:
        steps.append(KillAfter(kill_after))
        close = ExpectedClose(False, prediction.close_codes, require_clean=False)
        expectation = f"The peer fails the connection ({prediction.reason}). {prediction.rule}"
    elif prediction.close_rcvd:
        steps.append(KillAfter(kill_after))
        close = ExpectedClose(False, prediction.close_codes, require_clean=True)
        expectation = f"The peer answers the close frame and closes TCP. {prediction.rule}"
    else:
        # As 1.1.x: the tester closes once the expected events are in (auto-close), or
        # after ``kill_after`` (an empty close: any answer code is accepted).
        steps.append(CloseAfter(kill_after))
        close = ExpectedClose(True, (1000,), require_clean=True)
        expectation = f"The peer echoes every message and answers every ping. {prediction.rule}"
    alternatives: tuple[Alternative, ...] = ()
    accepted = prediction.accepted
    if accepted is not None:
        # fr.1's NON-STRICT: the peer read the long forms and went on (each list of
        # its own prediction, with its own ending; the tester still ends after
        # ``kill_after`` when the peer does not).
        why = (
            "it accepted a non-minimal length; section 5.2 binds the sender, so this is "
            "tolerated, but failing the connection with 1002 is preferred."
        )
        ending = _close_of(accepted)
        lists = [accepted.events] + ([] if accepted.tolerated is None else [accepted.tolerated])
        alternatives = tuple(Alternative(events, ending, why) for events in lists)
        expectation += " Accepting the non-minimal length is tolerated (NON-STRICT)."
    lines = conversation.describe()[::2]
    return Case(
        id=case_id,
        description="Fuzzed conversation: " + "; ".join(line.split(". ", 1)[1] for line in lines),
        expectation=expectation,
        steps=tuple(steps),
        expected=expected,  # type: ignore[arg-type]
        expected_close=close,
        alternatives=alternatives,
    )


def _close_of(prediction: Prediction) -> ExpectedClose:
    """How the connection ends when ``prediction`` holds, the case ending with
    ``killAfter`` (an alternative of a failing prediction; see :func:`to_case`)."""
    if prediction.fails:
        return ExpectedClose(False, prediction.close_codes, require_clean=False)
    if prediction.close_rcvd:
        return ExpectedClose(False, prediction.close_codes, require_clean=True)
    # Under ``killAfter`` the tester ends with 1001 (Going Away), as fr.1's cases expect.
    return ExpectedClose(True, (1000, 1001), require_clean=True)


def close_of(body: bytes) -> Close | None:
    """The close a body parses to, or ``None`` when the body is invalid."""
    try:
        return Close.parse(body)
    except (ProtocolError, FailConnection):
        return None
