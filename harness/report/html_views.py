"""Plain view objects for the HTML templates: cells, events, close details, the wire log.

Everything a template shows is computed here, in Python that the unit tests can check,
so the Jinja2 templates only lay values out. Nothing here escapes HTML: the templates
run with autoescape on, and the only markup that passes through is the whitelisted
``<b>``/``<br>`` of case descriptions (:func:`safe_description`).
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping, Sequence

import markupsafe

from wsconform.cases.model import (
    CloseAfter,
    ContinueLater,
    Event,
    KillAfter,
    Message,
    Pong,
    Timeout,
)
from wsconform.harness.record.observation import (
    CloseAfterArmed,
    CloseAfterFired,
    ContinueLaterArmed,
    ContinueLaterFired,
    KillAfterArmed,
    KillAfterFired,
    Observation,
    RxFrame,
    RxOctets,
    TxFrame,
    TxOctets,
    WireLogEntry,
    WirelogMode,
)

from .collection import ERROR, MISSING, Collection, Entry
from .json_report import payload_text
from .model import CaseResult, case_file_name

__all__ = [
    "STATE_CSS",
    "STATE_TEXT",
    "Cell",
    "EventRow",
    "HexRow",
    "KeyValue",
    "LogLine",
    "cell",
    "close_rows",
    "discarded_lines",
    "event_rows",
    "event_text",
    "hex_rows",
    "opcode_name",
    "safe_description",
    "timing_rows",
    "who_closed",
    "wirelog_lines",
]

#: CSS class of each cell state (colours in ``templates/style.css``).
STATE_CSS: Mapping[str, str] = {
    "OK": "v-ok",
    "NON-STRICT": "v-non-strict",
    "INFORMATIONAL": "v-informational",
    "UNIMPLEMENTED": "v-unimplemented",
    "FAILED": "v-failed",
    ERROR: "v-error",
    MISSING: "v-missing",
}
#: What a matrix cell says for each state.
STATE_TEXT: Mapping[str, str] = {
    "OK": "Pass",
    "NON-STRICT": "Non-Strict",
    "INFORMATIONAL": "Info",
    "UNIMPLEMENTED": "Unimplemented",
    "FAILED": "Fail",
    ERROR: "Error",
    MISSING: "Missing",
}

_OPCODES = {0: "CONT", 1: "TEXT", 2: "BINARY", 8: "CLOSE", 9: "PING", 10: "PONG"}
_ALLOWED_TAG = re.compile(r"&lt;(/?b|br\s*/?)&gt;", re.IGNORECASE)
_PRINTABLE = frozenset(string.ascii_letters + string.digits + string.punctuation + " ")


def safe_description(text: str) -> markupsafe.Markup:
    """Escape a catalog text, then let ``<b>``, ``</b>`` and ``<br>`` through.

    Case descriptions and expectations may contain a little HTML (docs/autobahn.md
    section 7.3); every other tag, attribute or entity stays escaped text.
    """
    escaped = str(markupsafe.escape(text))

    def tag(match: re.Match[str]) -> str:
        name = match.group(1).lower()
        return "<br>" if name.startswith("br") else f"<{name}>"

    return markupsafe.Markup(_ALLOWED_TAG.sub(tag, escaped))


def opcode_name(opcode: int) -> str:
    """``TEXT``, ``CLOSE``, ... or ``reserved``."""
    return _OPCODES.get(opcode, "reserved")


# --- matrix cells ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Cell:
    """One agent-by-case cell of the index matrix."""

    state: str
    css: str
    text: str
    detail: str
    href: str | None
    title: str


def _close_detail(entry: Entry) -> str:
    code = "-" if entry.remote_close_code is None else str(entry.remote_close_code)
    if entry.behavior_close in ("OK", "INFORMATIONAL"):
        return code
    if entry.behavior_close in ("UNCLEAN", "FAILED"):
        return entry.behavior_close.lower()
    return f"{entry.behavior_close.lower()} {code}"


def cell(collection: Collection, agent: str, case_id: str, pages: frozenset[str]) -> Cell:
    """The cell of ``agent`` for ``case_id``; ``pages`` are the HTML files that exist."""
    state = collection.state(agent, case_id)
    entry = collection.entry(agent, case_id)
    if state == MISSING:
        return Cell(MISSING, STATE_CSS[MISSING], STATE_TEXT[MISSING], "", None, "not run")
    if state == ERROR or entry is None:
        errors = collection.errors(agent, case_id)
        title = errors[0].message if errors else "harness error"
        page = case_file_name(agent, case_id, "html")
        return Cell(ERROR, STATE_CSS[ERROR], STATE_TEXT[ERROR], "harness", page, title)
    href = entry.html_file if entry.html_file in pages else entry.json_file
    detail = _close_detail(entry)
    if entry.result is not None and entry.result.case.report_time:
        detail = f"{detail} · {entry.duration_ms} ms"
    title = (
        " / ".join(text for text in (entry.result_text, entry.result_close_text) if text)
        or f"{entry.behavior} / {entry.behavior_close}"
    )
    return Cell(state, STATE_CSS[state], STATE_TEXT[state], detail, href, title)


# --- events ------------------------------------------------------------------------------


def event_text(event: Event) -> str:
    """A readable line for one event: kind, size and the payload as text.

    The payload as text follows docs/autobahn.md section 7.4.
    """
    if isinstance(event, Message):
        kind = "binary" if event.binary else "text"
        return f"{kind} message, {len(event.payload)} B: {payload_text(event.payload)}"
    if isinstance(event, Pong):
        return f"pong, {len(event.payload)} B: {payload_text(event.payload)}"
    assert isinstance(event, Timeout)
    return f"timeout marker {event.tag}"


@dataclasses.dataclass(frozen=True, slots=True)
class EventRow:
    """Row ``index`` of the events table: observed and each expected alternative."""

    index: int
    observed: str | None
    expected: list[tuple[str | None, bool]]


def event_rows(
    received: Sequence[Event], expected: Mapping[str, Sequence[Event]]
) -> list[EventRow]:
    """Observed events beside every expected alternative, one row per position.

    Each expected cell carries whether it equals the observed event at that position,
    so the first difference is plain to see.
    """
    length = max([len(received), *(len(events) for events in expected.values())])
    rows = []
    for i in range(length):
        seen = received[i] if i < len(received) else None
        cells: list[tuple[str | None, bool]] = []
        for events in expected.values():
            want = events[i] if i < len(events) else None
            cells.append((None if want is None else event_text(want), want == seen))
        rows.append(EventRow(i + 1, None if seen is None else event_text(seen), cells))
    return rows


# --- close details and timings -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class KeyValue:
    """A row of a key / value / description table."""

    key: str
    value: str
    description: str


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def who_closed(obs: Observation) -> str:
    """Who started the closing handshake, in words (docs/autobahn.md section 5)."""
    if obs.closed_by_me:
        return "the tester (wsconform) sent the first close frame"
    if obs.was_clean or obs.remote_close_code is not None:
        return "the peer sent the first close frame"
    return "nobody: no close frame from the peer, the TCP connection just ended"


def _flag(key: str, value: bool, yes: str, no: str) -> KeyValue:
    """A yes/no row whose meaning states what the value says, not what a yes would."""
    return KeyValue(key, _show(value), yes if value else no)


def _given(key: str, value: object, given: str, absent: str) -> KeyValue:
    """A row of a value that may be missing (``None`` or empty), with a meaning for each."""
    return KeyValue(key, _show(value), absent if value is None or value == "" else given)


def close_rows(result: CaseResult, local_reason: str | None) -> list[KeyValue]:
    """The closing-behaviour table: the keys of Autobahn's case report, in its order.

    Each row's meaning describes the value shown: ``closedByMe | no`` reads "the tester
    did not send the first close frame", never the claim that a yes would make.
    """
    obs = result.observation
    if obs.was_not_clean_reason is not None:
        not_clean = "why the close was not clean"
    elif obs.was_clean:
        not_clean = "nothing to explain: the close was clean"
    else:
        not_clean = "not clean, and no reason was recorded"
    return [
        _flag(
            "isServer",
            obs.is_server,
            "the tester acted as the server (testing a client)",
            "the tester acted as the client (testing a server)",
        ),
        _flag(
            "closedByMe",
            obs.closed_by_me,
            "the tester sent the first close frame",
            "the tester did not send the first close frame",
        ),
        _flag(
            "failedByMe",
            obs.failed_by_me,
            "the tester failed the connection",
            "the tester did not fail the connection",
        ),
        _flag(
            "droppedByMe",
            obs.dropped_by_me,
            "the tester closed the TCP connection itself",
            "the tester did not close the TCP connection; the peer did",
        ),
        _flag(
            "wasClean",
            obs.was_clean,
            "the closing handshake completed: the peer's close frame arrived",
            "the closing handshake did not complete cleanly",
        ),
        KeyValue("wasNotCleanReason", _show(obs.was_not_clean_reason), not_clean),
        _flag(
            "wasServerConnectionDropTimeout",
            obs.was_server_connection_drop_timeout,
            "the server did not drop TCP in time after the close handshake",
            "the server's TCP drop did not time out",
        ),
        _flag(
            "wasOpenHandshakeTimeout",
            obs.was_open_handshake_timeout,
            "the opening handshake did not finish in time",
            "the opening handshake did not time out",
        ),
        _flag(
            "wasCloseHandshakeTimeout",
            obs.was_close_handshake_timeout,
            "the tester's close got no reply in time",
            "the closing handshake did not time out",
        ),
        _given(
            "localCloseCode",
            obs.local_close_code,
            "code the tester sent",
            "the tester sent no close code",
        ),
        _given(
            "localCloseReason",
            local_reason,
            "reason the tester sent",
            "the tester sent no close reason",
        ),
        _given(
            "remoteCloseCode",
            obs.remote_close_code,
            "code the peer sent",
            "the peer sent no close code",
        ),
        _given(
            "remoteCloseReason",
            obs.remote_close_reason,
            "reason the peer sent",
            "the peer sent no close reason",
        ),
    ]


def timing_rows(result: CaseResult) -> list[KeyValue]:
    """Start, duration and the case's timers."""
    started = result.started.isoformat(timespec="milliseconds")
    rows = [
        KeyValue("started", started, "UTC time the connection was started"),
        KeyValue("duration", f"{result.duration_ms} ms", "from the opening handshake to TCP loss"),
    ]
    for step in result.case.steps:
        if isinstance(step, KillAfter):
            rows.append(KeyValue("killAfter", f"{step.delay:g} s", "fail the connection after"))
        elif isinstance(step, CloseAfter):
            rows.append(KeyValue("closeAfter", f"{step.delay:g} s", "send an empty close after"))
        elif isinstance(step, ContinueLater):
            tag = "" if step.tag is None else f" (tag {step.tag})"
            rows.append(KeyValue("pause", f"{step.delay:g} s{tag}", "the steps pause for"))
    return rows


# --- the wire log as a hex dump -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class HexRow:
    """One hex-dump row: offset, hex bytes and their printable ASCII."""

    offset: str
    hex: str
    ascii: str


def hex_rows(data: bytes, width: int = 16) -> list[HexRow]:
    """``data`` as hex-dump rows of ``width`` bytes, grouped by 8, with an ASCII column."""
    rows = []
    for start in range(0, len(data), width):
        chunk = data[start : start + width]
        groups = [chunk[i : i + 8].hex(" ") for i in range(0, len(chunk), 8)]
        text = "".join(chr(b) if chr(b) in _PRINTABLE else "." for b in chunk)
        rows.append(HexRow(f"{start:04x}", "  ".join(groups), text))
    return rows


@dataclasses.dataclass(frozen=True, slots=True)
class LogLine:
    """One wire log entry for the page.

    ``kind`` is its CSS class; frames (``rx-frame``/``tx-frame``) are the frame
    boundaries, octet chunks carry hex ``rows``; ``more`` counts bytes the log did not
    keep (it keeps the first 64 of each entry).
    """

    number: int
    kind: str
    label: str
    summary: str
    rows: list[HexRow] = dataclasses.field(default_factory=list)
    more: int = 0
    text: str | None = None


def _mask(mask: bytes | None) -> str:
    return "none" if mask is None else mask.hex()


def _close_body(opcode: int, head: bytes) -> str:
    if opcode != 8 or len(head) < 2:
        return ""
    reason = head[2:].decode("utf-8", errors="replace")
    return f", close code {int.from_bytes(head[:2], 'big')}, reason {reason!r}"


def _flags(opcode: int, fin: bool, rsv: int) -> str:
    return f"opcode={opcode} ({opcode_name(opcode)}), fin={int(fin)}, rsv={rsv}"


def _line(number: int, entry: WireLogEntry) -> LogLine:
    match entry:
        case RxOctets(length, head):
            rows, more = hex_rows(head), length - len(head)
            return LogLine(number, "rx-octets", "RX OCTETS", f"{length} B read", rows, more)
        case TxOctets(length, head, sync):
            kind = "tx-octets-sync" if sync else "tx-octets"
            note = " (queued write)" if sync else ""
            rows, more = hex_rows(head), length - len(head)
            return LogLine(number, kind, "TX OCTETS", f"{length} B written{note}", rows, more)
        case RxFrame(length, head, opcode, fin, rsv, masked, mask):
            summary = (
                f"{_flags(opcode, fin, rsv)}, payload {length} B, masked={int(masked)}, "
                f"mask={_mask(mask)}{_close_body(opcode, head)}"
            )
            text = payload_text(head, length)
            return LogLine(number, "rx-frame", "RX FRAME", summary, [], 0, text)
        case TxFrame(length, head, opcode, fin, rsv, mask, repeat, chop, sync):
            extra = "" if repeat is None else f", pattern repeated to {repeat} B"
            extra += "" if chop is None else f", chopsize={chop}"
            extra += ", sync" if sync else ""
            summary = (
                f"{_flags(opcode, fin, rsv)}, payload {length} B, mask={_mask(mask)}"
                f"{extra}{_close_body(opcode, head)}"
            )
            kind = "tx-frame-sync" if sync or chop is not None else "tx-frame"
            return LogLine(number, kind, "TX FRAME", summary, [], 0, payload_text(head, length))
        case ContinueLaterArmed(delay, tag):
            return LogLine(number, "timer", "PAUSE", f"continue after {delay:g} s, tag {tag}")
        case ContinueLaterFired(tag):
            return LogLine(number, "timer", "PAUSE END", f"continuing, tag {tag}")
        case KillAfterArmed(delay):
            return LogLine(number, "timer", "KILL AFTER", f"fail the connection in {delay:g} s")
        case KillAfterFired():
            return LogLine(number, "timer", "KILL", "failing the connection (1001 Going Away)")
        case CloseAfterArmed(delay):
            return LogLine(number, "timer", "CLOSE AFTER", f"close in {delay:g} s")
        case CloseAfterFired():
            return LogLine(number, "timer", "CLOSE", "closing the connection (empty close)")
        case WirelogMode(enabled):
            state = "enabled" if enabled else "disabled (statistics still count)"
            return LogLine(number, "mode", "WIRELOG", f"wire logging {state}")
    raise TypeError(f"not a wire log entry: {entry!r}")  # pragma: no cover


def discarded_lines(obs: Observation) -> list[LogLine]:
    """The first data frames the tester discarded after failing the connection."""
    return [_line(i, entry) for i, entry in enumerate(obs.discarded, start=1)]


def wirelog_lines(obs: Observation) -> list[LogLine]:
    """Every wire log entry, numbered from 1, then how TCP ended."""
    lines = [_line(i, entry) for i, entry in enumerate(obs.wirelog, start=1)]
    who = "the tester" if obs.dropped_by_me else "the peer"
    lines.append(LogLine(len(lines) + 1, "tcp", "TCP CLOSED", f"TCP connection closed by {who}"))
    return lines
