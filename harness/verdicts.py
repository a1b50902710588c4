"""Autobahn's verdict rules as pure functions of a case and its observation.

The rules are those of docs/autobahn.md section 3.

* :func:`judge`: ``behavior``, ``behaviorClose`` and their texts, once TCP is gone.
* :func:`auto_close_due`: whether the tester closes now, after a recorded event.
* Case logic decided *during* the run, returning a :class:`LogicOutcome` that the runner
  stores in ``Observation.logic_behavior`` / ``logic_result`` (when ``behavior`` is not
  ``None``; otherwise only the text changes): :func:`echo_waiting` and
  :func:`judge_echo` (9.1-9.6), :class:`EchoLoopJudge` (9.7/9.8, 12, 13),
  :func:`deflate_missing` (12/13 without permessage-deflate).

The result texts are ours; tools read the verdict strings, which are Autobahn's.
"""

from __future__ import annotations

import dataclasses
import hashlib

from wsconform.cases.model import (
    BINARY,
    TEXT,
    Alternative,
    Case,
    EchoLoop,
    ExpectEcho,
    SendFrame,
    SendMessage,
    Verdict,
)

from .record.describe import (
    describe_codes,
    describe_ending,
    describe_events,
    describe_remote_close,
)
from .record.observation import Observation
from .record.outcome import CloseVerdict, Outcome, Verdicts

__all__ = [
    "DEFAULT_RESULT",
    "DEFAULT_RESULT_CLOSE",
    "EchoLoopJudge",
    "LogicOutcome",
    "LoopReply",
    "auto_close_due",
    "deflate_missing",
    "echo_waiting",
    "judge",
    "judge_echo",
    "judge_expected",
]

DEFAULT_RESULT = "The received events differ from every expected alternative."
DEFAULT_RESULT_CLOSE = "The TCP connection was dropped without a closing handshake."
_HANDSHAKE_PREFIX = "opening handshake failed: "
_CLOSED_OK = "The connection was closed properly."
_MATCHED = "The peer answered exactly as a conforming peer does."
_TX_FRAMES = "The tester sent frames {got} by opcode, but the case expects {expected}."


def _match(case: Case, obs: Observation) -> Verdict | None:
    """The first expected alternative equal to the received list (OK, then NON-STRICT)."""
    if obs.received_truncated:
        return None
    received = tuple(obs.received)
    for verdict, events in case.expected.items():
        if received == events:
            return verdict
    return None


def _mismatch(case: Case, obs: Observation) -> str:
    """What the peer sent against what it should have sent."""
    if obs.received_truncated:
        return (
            f"The peer sent more than the tester keeps ({len(obs.received)} events); "
            "no expected alternative is anywhere near that long."
        )
    wanted = [
        f"{describe_events(events)}" + ("" if verdict is Verdict.OK else f" ({verdict})")
        for verdict, events in case.expected.items()
    ]
    return (
        f"The peer sent {describe_events(obs.received)}, "
        f"but a conforming peer sends {' or '.join(wanted) or 'nothing'}."
    )


def _non_strict(case: Case, obs: Observation) -> str:
    preferred = case.expected.get(Verdict.OK)
    better = "" if preferred is None else f"; the preferred answer is {describe_events(preferred)}"
    return f"The peer sent {describe_events(obs.received)}, which is acceptable{better}."


def _wrong_side(case: Case, obs: Observation) -> str:
    expected = case.expected_close
    if not expected.closed_by_me:
        # The peer should have failed (or closed) the connection, and it did not.
        sent = f"it sent {describe_events(obs.received)}, then " if obs.received else ""
        return (
            f"The peer did not close the connection itself: {sent}{describe_ending(obs)}; "
            f"it should have closed first with {describe_codes(expected.close_codes)}."
        )
    return (
        f"The peer ended the connection first ({describe_ending(obs)}); it should have "
        "left the closing to the tester."
    )


def _unclean(obs: Observation) -> str:
    if obs.was_close_handshake_timeout:
        return (
            "The peer never answered the tester's close frame in time; it must answer with "
            "a close frame (RFC 6455 section 5.5.1)."
        )
    if obs.was_server_connection_drop_timeout:
        return (
            "The server did not close the TCP connection in time after the closing "
            "handshake (RFC 6455 section 7.1.1: the server closes it first)."
        )
    if obs.was_not_clean_reason:
        return f"The connection did not close cleanly: {obs.was_not_clean_reason}."
    return "The connection did not close cleanly: no valid close frame came from the peer."


def _close(case: Case, obs: Observation) -> tuple[CloseVerdict, str]:
    """Autobahn's close rules, in order; the first that applies wins."""
    expected = case.expected_close
    if expected.closed_by_me != obs.closed_by_me:
        return CloseVerdict.FAILED, _wrong_side(case, obs)
    if expected.require_clean and not obs.was_clean:
        return CloseVerdict.UNCLEAN, _unclean(obs)
    # A close frame without a body carries no code and is always acceptable.
    if obs.remote_close_code is not None and obs.remote_close_code not in expected.close_codes:
        return CloseVerdict.WRONG_CODE, (
            f"The peer closed with {describe_remote_close(obs)}; it should have used "
            f"{describe_codes(expected.close_codes)} or no code."
        )
    # In server mode the tester always closes TCP itself, so this rule is client-only.
    if not obs.is_server and obs.dropped_by_me:
        return CloseVerdict.FAILED_BY_CLIENT, (
            "The server did not close the TCP connection after the closing handshake, so "
            "the tester did (RFC 6455 section 7.1.1: the server closes it first)."
        )
    return CloseVerdict.OK, _CLOSED_OK


def _logic_ending(case: Case, obs: Observation) -> str:
    """How a case whose logic failed ended: the peer's close says more than a timer."""
    waits = [step.wait for step in case.steps if isinstance(step, ExpectEcho | EchoLoop)]
    if obs.closed_by_me and not obs.failed_by_me and waits:
        return f"the tester closed the connection when its {waits[0]:g} s were up"
    return describe_ending(obs)


def _never_opened(obs: Observation) -> str:
    reason = obs.was_not_clean_reason or "no response was recorded"
    reason = reason.removeprefix(_HANDSHAKE_PREFIX)
    return f"The WebSocket opening handshake did not complete: {reason}."


def judge(case: Case, obs: Observation) -> Verdicts:
    """Compute the verdicts of a finished case (:func:`judge_expected`), then, when that
    is not OK, try the case's :class:`~wsconform.cases.model.Alternative` endings in order.

    An alternative is judged as the case with its events as the only OK list and its
    close expectation; the first that gives OK sets ``behavior`` to the alternative's
    verdict, with its reason added to the result text.
    """
    verdicts = judge_expected(case, obs)
    if not case.alternatives or verdicts.outcome is Outcome.OK:
        return verdicts
    for alternative in case.alternatives:
        variant = dataclasses.replace(
            case,
            expected={Verdict.OK: alternative.events},
            expected_close=alternative.expected_close,
            alternatives=(),
        )
        other = judge_expected(variant, obs)
        if other.outcome is Outcome.OK:
            result = f"The peer {_alternative_text(alternative, obs)}: {alternative.why}"
            return Verdicts(alternative.verdict, other.behavior_close, result, other.result_close)
    return verdicts


def _alternative_text(alternative: Alternative, obs: Observation) -> str:
    if alternative.expected_close.closed_by_me:
        return f"sent {describe_events(obs.received)} and left the closing to the tester"
    return f"sent {describe_events(obs.received)}, then {describe_ending(obs)}"


def judge_expected(case: Case, obs: Observation) -> Verdicts:
    """Compute the verdicts of a finished case (Autobahn's rules, then the overrides).

    1. ``behavior`` starts FAILED, or at what case logic decided during the run; if the
       received list equals an expected alternative (in order: OK, then NON-STRICT),
       it becomes that verdict.
    2. If the handshake never completed: both verdicts FAILED. Otherwise the close rules:
       wrong side, unclean, wrong code, failed by client (client mode), OK.
    3. ``fatal_wrong_endpoint`` and a wrong closing side force ``behavior`` FAILED.
    4. Overrides: WRONG CODE fails ``behavior`` (7.x); INFORMATIONAL (7.1.6, 7.13);
       the tester's own frame counts (10.1.1).

    Every verdict that is not OK gets a sentence saying what the peer did and what it
    should have done.
    """
    if not obs.opened:
        text = _never_opened(obs)
        return Verdicts(Verdict.FAILED, CloseVerdict.FAILED, text, text)

    behavior_close, result_close = _close(case, obs)
    if obs.logic_behavior is not None:
        behavior = obs.logic_behavior
        result = obs.logic_result or DEFAULT_RESULT
        if behavior is Verdict.FAILED:
            result = f"{result.rstrip('.')}; {_logic_ending(case, obs)}."
    else:
        behavior, result = Verdict.FAILED, _mismatch(case, obs)
    matched = _match(case, obs)
    if matched is Verdict.OK:
        behavior, result = matched, _MATCHED
    elif matched is not None:
        behavior, result = matched, _non_strict(case, obs)

    if case.expected_close.fatal_wrong_endpoint and (
        case.expected_close.closed_by_me != obs.closed_by_me
    ):
        # The peer never noticed the invalid UTF-8 (it did not close first).
        behavior, result = Verdict.FAILED, result_close

    if case.wrong_code_fails and behavior_close is CloseVerdict.WRONG_CODE:
        behavior, result = Verdict.FAILED, result_close

    if case.informational is not None:
        info = case.informational
        if info.result is not None:
            result = info.result
        elif behavior in info.results:
            result = info.results[behavior]
        behavior, behavior_close = Verdict.INFORMATIONAL, CloseVerdict.INFORMATIONAL

    if case.expected_tx_frames is not None:
        got = {op: obs.tx_frame_stats.get(op, 0) for op in case.expected_tx_frames}
        if got != dict(case.expected_tx_frames):
            behavior = Verdict.FAILED
            result = _TX_FRAMES.format(got=got, expected=dict(case.expected_tx_frames))

    return Verdicts(behavior, behavior_close, result, result_close)


def auto_close_due(case: Case, obs: Observation) -> bool:
    """Whether the tester must close now, right after recording a message or pong.

    True when the received list equals *every* expected alternative, the tester is the
    expected closer and the case does not suppress it; the runner then sends the checked
    close with ``expected_close.close_codes[0]`` if the connection is OPEN. With two
    different alternatives this never fires. With no alternative at all (9.x, 12, 13) it
    is vacuously true, so a pong received there closes the connection: Autobahn does the
    same, and it is kept on purpose.
    """
    if obs.received_truncated:
        return False
    if not case.expected_close.closed_by_me or case.suppress_auto_close:
        return False
    received = tuple(obs.received)
    return all(received == events for events in case.expected.values())


# --- case logic ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class LogicOutcome:
    """A decision of case logic: a new ``behavior`` (or ``None`` to keep it) and a text."""

    behavior: Verdict | None
    result: str


def echo_waiting(step: ExpectEcho) -> LogicOutcome:
    """9.1-9.6, when the :class:`ExpectEcho` step runs: FAILED until the echo arrives.

    :func:`judge` completes the sentence with how the connection ended (the peer may
    close with 1009 long before the wait is over).
    """
    kind = "binary" if step.binary else "text"
    return LogicOutcome(
        Verdict.FAILED,
        f"No echo of the {step.length}-byte {kind} message came back",
    )


def judge_echo(step: ExpectEcho, binary: bool, length: int) -> LogicOutcome:
    """9.1-9.6: judge one echoed message by type and byte length only (no content check).

    A mismatch changes only the text, keeping ``behavior`` as it was (FAILED, unless an
    earlier message already passed), as Autobahn does.
    """
    kind = "binary" if step.binary else "text"
    if binary != step.binary:
        got = "binary" if binary else "text"
        return LogicOutcome(None, f"Expected a {kind} message, but got a {got} message.")
    if length != step.length:
        return LogicOutcome(
            None, f"Expected a {kind} message of {step.length} bytes, but got {length} bytes."
        )
    return LogicOutcome(Verdict.OK, f"Received the {kind} message of {length} bytes.")


def deflate_missing() -> LogicOutcome:
    """12/13 when permessage-deflate is not in use: UNIMPLEMENTED."""
    return LogicOutcome(
        Verdict.UNIMPLEMENTED, "permessage-deflate was not negotiated, so the case cannot run."
    )


class _Ring:
    """Reads ``length`` units at a time from a data file treated as an endless ring.

    Units are code points for text files (decoded once, sliced, encoded back) and bytes
    for binary files. The pointer arithmetic is Autobahn's: ``end = (start + length) %
    size``; ``end > start`` gives one slice, anything else a wrapped one.
    """

    def __init__(self, data: bytes, text: bool) -> None:
        decoded = data.decode("utf-8") if text else ""
        # Pure-ASCII text has as many code points as bytes: slice the bytes directly.
        self._chars = decoded if text and not decoded.isascii() else None
        self._bytes = data
        self._size = len(self._chars) if self._chars is not None else len(data)
        self._pointer = 0

    def take(self, length: int) -> bytes:
        if length <= 0 or self._size == 0:
            return b""
        start = self._pointer
        end = (start + length) % self._size
        self._pointer = end
        if self._chars is not None:
            ring = self._chars
            chars = ring[start:end] if end > start else ring[start:] + ring[:end]
            return chars.encode("utf-8")
        data = self._bytes
        return data[start:end] if end > start else data[start:] + data[:end]


@dataclasses.dataclass(frozen=True, slots=True)
class LoopReply:
    """What the runner does after an echo in an :class:`EchoLoop`.

    ``send`` is the next step to execute when the loop goes on (``outcome`` is then
    ``None``). When ``send`` is ``None`` the loop is over: store ``outcome``, take a
    :meth:`~wsconform.harness.record.observation.TrafficStats.snapshot` into
    ``traffic_stats`` if ``capture_traffic_stats``, switch wire logging on (with marker)
    and send the checked close 1000.
    """

    send: SendFrame | SendMessage | None
    outcome: LogicOutcome | None = None
    capture_traffic_stats: bool = False


class EchoLoopJudge:
    """Drives one :class:`EchoLoop` without I/O: payloads out, echoes judged.

    ``data`` is the test data file's content for 12/13 loops (see
    :mod:`wsconform.cases.testdata`) and ignored for pattern loops.

    Raises:
        ValueError: a data-file loop without ``data``, or text data that is not UTF-8.
    """

    def __init__(self, loop: EchoLoop, data: bytes | None = None) -> None:
        self.loop = loop
        self.count = 0
        self._sent = b""
        self._ring: _Ring | None = None
        if loop.data_file is not None:
            if data is None:
                raise ValueError(f"the loop needs the content of {loop.data_file}")
            self._ring = _Ring(data, text=not loop.binary)

    def start(self) -> tuple[LogicOutcome, SendFrame | SendMessage]:
        """The initial outcome (FAILED until the loop completes) and the first send."""
        loop = self.loop
        text = f"The {loop.count} echo round trips did not complete"
        return LogicOutcome(Verdict.FAILED, text), self._next()

    def _next(self) -> SendFrame | SendMessage:
        self.count += 1
        loop = self.loop
        if self._ring is None:
            opcode = BINARY if loop.binary else TEXT
            step = SendFrame(opcode, loop.pattern, repeat_length=loop.length)
            # Every message of a pattern loop is the same: the pattern is expanded once.
            if self.count == 1:
                self._sent = step.data()
            return step
        self._sent = self._ring.take(loop.length)
        return SendMessage(self._sent, binary=loop.binary)

    @property
    def payload(self) -> bytes:
        """The payload of the send last returned, expanded once (send it as it is)."""
        return self._sent

    def _units(self, payload: bytes) -> int:
        if self._ring is None or self.loop.binary:
            return len(payload)
        return len(payload.decode("utf-8", errors="replace"))

    def echoed(self, payload: bytes, binary: bool) -> bool:
        """Whether ``payload`` is the echo of the data-file message last sent and the
        loop goes on: then :attr:`payload` is the next message, to send as
        :meth:`on_message`'s ``SendMessage(payload, binary=loop.binary)`` (the same
        judgement without building the reply). When False, nothing changed: call
        :meth:`on_message` for the reply (a mismatch, the loop's end, a pattern loop).
        """
        loop = self.loop
        if self._ring is None or binary != loop.binary or self.count >= loop.count:
            return False
        if not (payload == self._sent if loop.check_sha1 else len(payload) == loop.length):
            return False
        self.count += 1
        self._sent = self._ring.take(loop.length)
        return True

    def on_message(self, payload: bytes, binary: bool) -> LoopReply:
        """Judge one echo: the next send, or the end of the loop with its outcome."""
        loop = self.loop
        # Equal bytes imply equal type-independent length and SHA-1: the fast path.
        same = binary == loop.binary and (
            payload == self._sent if loop.check_sha1 else len(payload) == loop.length
        )
        if not same:
            return LoopReply(None, LogicOutcome(Verdict.FAILED, self._mismatch(payload, binary)))
        if self.count < loop.count:
            return LoopReply(self._next())
        text = f"All {loop.count} echoed messages came back in time."
        # Only the compression cases report traffic statistics (12/13, not 9.7/9.8).
        return LoopReply(None, LogicOutcome(Verdict.OK, text), loop.check_sha1)

    def _mismatch(self, payload: bytes, binary: bool) -> str:
        loop = self.loop
        if binary != loop.binary:
            return f"The echo's type differs: got binary={binary}, sent binary={loop.binary}."
        units = self._units(payload)
        if units != loop.length:
            return f"The echo's length differs: got {units}, sent {loop.length}."
        got = hashlib.sha1(payload).hexdigest()
        sent = hashlib.sha1(self._sent).hexdigest()
        return f"The echo's content differs: got SHA-1 {got}, sent SHA-1 {sent}."
