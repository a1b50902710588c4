"""Short, readable descriptions of events for reasons and the terminal.

``text 'Hello-µ@ßöäüàá-UTF-8!!' (24 B)``, ``binary (65536 B)``, ``pong 'payload'``,
``timeout 'A'``: one line each, payload text cut at :data:`TEXT_SHOWN` characters,
binary payloads by size only. Used by the verdict reasons and the terminal summary,
where a sentence must say what the peer sent without dumping its bytes.
"""

from __future__ import annotations

from collections.abc import Sequence

from wsconform.cases.model import Event, ExpectedClose, Message, Pong
from wsconform.reference.protocol.close import GOING_AWAY
from wsconform.reference.protocol.close import label as close_label

from .observation import Observation

__all__ = [
    "EVENTS_SHOWN",
    "TEXT_SHOWN",
    "describe_codes",
    "describe_ending",
    "describe_event",
    "describe_events",
    "describe_expected_close",
    "describe_remote_close",
]

#: Characters of a payload shown as text at most.
TEXT_SHOWN = 32
#: Events listed at most; the rest are counted.
EVENTS_SHOWN = 3


def _text(payload: bytes) -> str | None:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.isprintable():
        return None
    return repr(text if len(text) <= TEXT_SHOWN else text[:TEXT_SHOWN] + "...")


def describe_event(event: Event) -> str:
    """One event in a few words."""
    if isinstance(event, Message):
        kind = "binary" if event.binary else "text"
        shown = None if event.binary else _text(event.payload)
        size = f"({len(event.payload)} B)"
        if not event.binary and shown is None and event.payload:
            return f"text, not valid UTF-8 {size}"
        return f"{kind} {shown} {size}" if shown is not None else f"{kind} {size}"
    if isinstance(event, Pong):
        shown = _text(event.payload)
        return f"pong {shown}" if shown and event.payload else f"pong ({len(event.payload)} B)"
    return f"timeout {event.tag!r}"


def describe_events(events: Sequence[Event]) -> str:
    """A list of events in one line: ``nothing``, or the first few and how many more."""
    if not events:
        return "nothing"
    shown = [describe_event(event) for event in events[:EVENTS_SHOWN]]
    more = len(events) - EVENTS_SHOWN
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def describe_codes(codes: tuple[int, ...]) -> str:
    """Close codes with their names: ``1002 (protocol error) or 1007 (...)``."""
    named = [f"{code} ({close_label(code)})" for code in codes]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " or " + named[-1]


def describe_remote_close(obs: Observation) -> str:
    """How the peer's close frame read: ``close code 1009 (message too big)``."""
    if obs.remote_close_code is None:
        return "an empty close frame"
    code = obs.remote_close_code
    reason = f", reason {obs.remote_close_reason!r}" if obs.remote_close_reason else ""
    return f"close code {code} ({close_label(code)}{reason})"


def describe_ending(obs: Observation) -> str:
    """Who ended the connection and how, as the end of a sentence (no capital, no period)."""
    if obs.failed_by_me and obs.local_close_code == GOING_AWAY:
        # The tester's own timers end a case that the peer never ends with 1001.
        return f"the tester gave up waiting and closed with {describe_codes((GOING_AWAY,))}"
    if obs.failed_by_me:
        code = obs.local_close_code
        reason = obs.local_close_reason.decode("utf-8", "replace") if obs.local_close_reason else ""
        why = f": {reason}" if reason else ""
        named = "" if code is None else f" with {describe_codes((code,))}"
        return f"the tester failed the connection{named} on what the peer sent{why}"
    if obs.closed_by_me:
        return "the tester closed the connection"
    if obs.was_clean:
        return f"the peer closed the connection with {describe_remote_close(obs)}"
    return "the peer dropped the TCP connection without a closing handshake"


def describe_expected_close(expected: ExpectedClose) -> str:
    """How a conforming peer ends the case, as the end of a sentence."""
    if expected.closed_by_me:
        return f"the tester closes, the peer answers with {describe_codes(expected.close_codes)}"
    return f"the peer closes first with {describe_codes(expected.close_codes)}"
