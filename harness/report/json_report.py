"""The JSON report in Autobahn's layout (catalog 5.1-5.5), so Autobahn scripts work.

``<outdir>/index.json`` maps agent -> case id -> summary, and one
``<clean(agent)>_case_<id with _>.json`` per result carries every field of catalog 5.3.
Formatting is Autobahn's: keys sorted, 3-space indent, separators ``,`` and ``: ``,
integer keys as strings (sorted numerically, as Python sorts them before converting).
Our own additions live under one extra key, ``wsconform``, and ``harness_errors.json``
lists harness errors apart from the verdicts.

By default an existing ``index.json`` in the output directory is merged: entries of this
report replace the same (agent, case) pairs, and other entries stay. So runs against
several targets (or several case selections) into one directory give one index.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import pathlib
from collections.abc import Mapping
from typing import Any

from wsconform.cases.model import Case, Event, ExpectedClose, Message, Pong

from .atomic import write_text
from .exceptions import ReportError
from .model import CaseResult, HarnessError, Report
from .observation import (
    CloseAfterArmed,
    CloseAfterFired,
    ContinueLaterArmed,
    ContinueLaterFired,
    KillAfterArmed,
    KillAfterFired,
    RxFrame,
    RxOctets,
    TrafficStats,
    TxFrame,
    TxOctets,
    WireLogEntry,
    WirelogMode,
)

__all__ = [
    "AGENT_FILE_LIMIT",
    "ERRORS_FILE",
    "INDEX_FILE",
    "case_file_name",
    "case_json",
    "clean_agent",
    "dumps",
    "event_json",
    "expected_close_json",
    "hex_text",
    "index_json",
    "payload_text",
    "traffic_stats_json",
    "wirelog_entry_json",
    "write_json_report",
]

INDEX_FILE = "index.json"
ERRORS_FILE = "harness_errors.json"

_ELLIPSIS = b" ..."
_FILENAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")

#: Longest agent part of a report file name (see :func:`clean_agent`).
AGENT_FILE_LIMIT = 100


def dumps(obj: object) -> str:
    """JSON exactly as Autobahn formats it."""
    return json.dumps(obj, sort_keys=True, indent=3, separators=(",", ": "))


def clean_agent(agent: str) -> str:
    """Autobahn's file-name form of an agent (catalog 5.1), made safe for any name.

    Trim and lower-case; every character outside ``[a-z0-9]`` becomes a space; trim
    again; each remaining space becomes ``_`` (runs are not collapsed). Lower-casing is
    ASCII-only, as in Autobahn's byte strings.

    A name longer than :data:`AGENT_FILE_LIMIT` characters after that would give file
    names a file system refuses (255 bytes at most on most of them): it is cut, and the
    first 8 hex digits of the SHA-256 of the whole name keep two long names apart.
    Ordinary names keep Autobahn's form exactly.
    """
    lowered = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in agent.strip())
    spaced = "".join(c if c in _FILENAME_CHARS else " " for c in lowered)
    cleaned = spaced.strip().replace(" ", "_")
    if len(cleaned) <= AGENT_FILE_LIMIT:
        return cleaned
    digest = hashlib.sha256(agent.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[: AGENT_FILE_LIMIT - 9]}_{digest}"


def case_file_name(agent: str, case_id: str, ext: str = "json") -> str:
    """``<clean(agent)>_case_<id with '.' replaced by '_'>.<ext>``."""
    return f"{clean_agent(agent)}_case_{case_id.replace('.', '_')}.{ext}"


def hex_text(head: bytes, length: int | None = None) -> str:
    """Lower-case hex of at most 64 bytes, with `` ...`` when ``length`` > 60.

    ``head`` is the data or its first bytes; ``length`` the true length (default: all of
    ``head``).
    """
    size = len(head) if length is None else length
    if size > 60:
        return head[:64].hex() + " ..."
    return head.hex()


def payload_text(head: bytes, length: int | None = None) -> str:
    """The payload-as-text rule of catalog 5.3.

    Over 60 bytes: keep the first 64 and append `` ...``; decode as strict UTF-8; if that
    fails, ``0x`` and :func:`hex_text`. The ellipsis is appended before decoding, as
    Autobahn does, so a cut inside a code point falls back to hex.
    """
    size = len(head) if length is None else length
    cut = head[:64] + _ELLIPSIS if size > 60 else head
    try:
        return cut.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + hex_text(head, size)


def event_json(event: Event) -> list[Any]:
    """The display form of an event: ``["message", text, binary]``, ``["pong", text]``
    or ``["timeout", tag]``."""
    if isinstance(event, Message):
        return ["message", payload_text(event.payload), event.binary]
    if isinstance(event, Pong):
        return ["pong", payload_text(event.payload)]
    return ["timeout", event.tag]


def expected_close_json(expected: ExpectedClose) -> dict[str, Any]:
    """``expectedClose``; the fatal flag appears only where a case uses it."""
    out: dict[str, Any] = {
        "closeCode": list(expected.close_codes),
        "closedByMe": expected.closed_by_me,
        "requireClean": expected.require_clean,
    }
    if expected.fatal_wrong_endpoint:
        out["closedByWrongEndpointIsFatal"] = True
    return out


def _expected_json(case: Case) -> dict[str, list[list[Any]]]:
    return {str(v): [event_json(e) for e in events] for v, events in case.expected.items()}


def _number(value: float) -> int | float:
    """A delay as the case wrote it: ``1`` rather than ``1.0``, ``0.5`` as is."""
    return int(value) if float(value).is_integer() else value


def _mask(mask: bytes | None) -> str | None:
    return None if mask is None else mask.hex()


def wirelog_entry_json(entry: WireLogEntry) -> list[Any]:
    """One wire log entry in the shapes of catalog 5.4."""
    match entry:
        case RxOctets(length, head):
            return ["RO", [length, hex_text(head, length)]]
        case TxOctets(length, head, sync):
            return ["TO", [length, hex_text(head, length)], sync]
        case RxFrame(length, head, opcode, fin, rsv, masked, mask):
            return [
                "RF",
                [length, payload_text(head, length)],
                opcode,
                fin,
                rsv,
                masked,
                _mask(mask),
            ]
        case TxFrame(length, head, opcode, fin, rsv, mask, repeat, chopsize, sync):
            text = [length, payload_text(head, length)]
            return ["TF", text, opcode, fin, rsv, _mask(mask), repeat, chopsize, sync]
        case ContinueLaterArmed(delay, tag):
            return ["CT", _number(delay), tag]
        case ContinueLaterFired(tag):
            return ["CTE", tag]
        case KillAfterArmed(delay):
            return ["KL", _number(delay)]
        case KillAfterFired():
            return ["KLE"]
        case CloseAfterArmed(delay):
            return ["TI", _number(delay)]
        case CloseAfterFired():
            return ["TIE"]
        case WirelogMode(enabled):
            return ["WLM", enabled]
    raise TypeError(f"not a wire log entry: {entry!r}")  # pragma: no cover


def traffic_stats_json(stats: TrafficStats) -> dict[str, Any]:
    """``trafficStats`` with Autobahn's 16 keys (catalog 5.5)."""
    return {
        "outgoingOctetsWireLevel": stats.outgoing_octets_wire_level,
        "outgoingOctetsWebSocketLevel": stats.outgoing_octets_websocket_level,
        "outgoingOctetsAppLevel": stats.outgoing_octets_app_level,
        "outgoingCompressionRatio": stats.outgoing_compression_ratio,
        "outgoingWebSocketOverhead": stats.outgoing_websocket_overhead,
        "outgoingWebSocketFrames": stats.outgoing_websocket_frames,
        "outgoingWebSocketMessages": stats.outgoing_websocket_messages,
        "preopenOutgoingOctetsWireLevel": stats.preopen_outgoing_octets_wire_level,
        "incomingOctetsWireLevel": stats.incoming_octets_wire_level,
        "incomingOctetsWebSocketLevel": stats.incoming_octets_websocket_level,
        "incomingOctetsAppLevel": stats.incoming_octets_app_level,
        "incomingCompressionRatio": stats.incoming_compression_ratio,
        "incomingWebSocketOverhead": stats.incoming_websocket_overhead,
        "incomingWebSocketFrames": stats.incoming_websocket_frames,
        "incomingWebSocketMessages": stats.incoming_websocket_messages,
        "preopenIncomingOctetsWireLevel": stats.preopen_incoming_octets_wire_level,
    }


def _started(moment: datetime.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC (a naive datetime is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _local_reason(result: CaseResult) -> str | None:
    reason = result.observation.local_close_reason
    if result.case.hex_local_close_reason:
        # 7.5.1 sends invalid UTF-8 on purpose; Autobahn reports it as hex, "?" if empty.
        return reason.hex() if reason else "?"
    if reason is None:
        return None
    try:
        return reason.decode("utf-8")
    except UnicodeDecodeError:
        return reason.hex()


def case_json(result: CaseResult) -> dict[str, Any]:
    """The per-case object: every field of catalog 5.3, plus ``wsconform``.

    ``wsconform`` holds what Autobahn has no field for: the target URL; the handshake's
    status line and, when it failed, why (``handshakeStatus``, ``handshakeFailure``);
    the data frames discarded after the tester failed the connection
    (``discardedFrames``, and the first few as wire log entries in ``discarded``); the
    pings left unanswered because the peer was not reading (``pongsWithheld``); and
    where the bounds of the record cut the wire log and the received list
    (``wirelogTruncated``, ``wirelogTruncatedAfter`` entries kept, ``wirelogDropped``
    entries not kept; the same three for ``received``).
    """
    case, obs, verdicts = result.case, result.observation, result.verdicts
    traffic = None if obs.traffic_stats is None else traffic_stats_json(obs.traffic_stats)
    return {
        "agent": result.agent,
        "behavior": str(verdicts.behavior),
        "behaviorClose": str(verdicts.behavior_close),
        "case": result.run_index,
        "closedByMe": obs.closed_by_me,
        "createStats": True,
        "createWirelog": obs.create_wirelog,
        "description": case.description,
        "droppedByMe": obs.dropped_by_me,
        "duration": result.duration_ms,
        "expectation": case.expectation,
        "expected": _expected_json(case),
        "expectedClose": expected_close_json(case.expected_close),
        "failedByMe": obs.failed_by_me,
        "httpRequest": "?" if obs.http_request is None else obs.http_request,
        "httpResponse": "?" if obs.http_response is None else obs.http_response,
        "id": case.id,
        "isServer": obs.is_server,
        "localCloseCode": obs.local_close_code,
        "localCloseReason": _local_reason(result),
        "received": [event_json(e) for e in obs.received],
        "remoteCloseCode": obs.remote_close_code,
        "remoteCloseReason": obs.remote_close_reason,
        "reportCompressionRatio": case.report_compression_ratio,
        "reportTime": case.report_time,
        "result": verdicts.result,
        "resultClose": verdicts.result_close,
        "rxFrameStats": dict(obs.rx_frame_stats),
        "rxOctetStats": dict(obs.rx_octet_stats),
        "started": _started(result.started),
        "trafficStats": traffic,
        "txFrameStats": dict(obs.tx_frame_stats),
        "txOctetStats": dict(obs.tx_octet_stats),
        "wasClean": obs.was_clean,
        "wasCloseHandshakeTimeout": obs.was_close_handshake_timeout,
        "wasNotCleanReason": obs.was_not_clean_reason,
        "wasOpenHandshakeTimeout": obs.was_open_handshake_timeout,
        "wasServerConnectionDropTimeout": obs.was_server_connection_drop_timeout,
        "wirelog": [wirelog_entry_json(entry) for entry in obs.wirelog],
        "wsconform": {
            "discarded": [wirelog_entry_json(entry) for entry in obs.discarded],
            "discardedFrames": obs.discarded_frames,
            "handshakeFailure": obs.handshake_failure,
            "handshakeStatus": obs.handshake_status,
            "pongsWithheld": obs.pongs_withheld,
            "receivedDropped": obs.received_dropped,
            "receivedTruncated": obs.received_truncated,
            "receivedTruncatedAfter": len(obs.received) if obs.received_truncated else None,
            "target": result.target,
            "wirelogDropped": obs.wirelog_dropped,
            "wirelogTruncated": obs.wirelog_truncated,
            "wirelogTruncatedAfter": len(obs.wirelog) if obs.wirelog_truncated else None,
        },
    }


def index_json(report: Report) -> dict[str, dict[str, dict[str, Any]]]:
    """``index.json`` of one report: agent -> case id -> summary (catalog 5.2)."""
    index: dict[str, dict[str, dict[str, Any]]] = {}
    for result in report.results():
        index.setdefault(result.agent, {})[result.case_id] = {
            "behavior": str(result.verdicts.behavior),
            "behaviorClose": str(result.verdicts.behavior_close),
            "duration": result.duration_ms,
            "remoteCloseCode": result.observation.remote_close_code,
            "reportfile": case_file_name(result.agent, result.case_id),
        }
    return index


def _error_json(error: HarnessError) -> dict[str, Any]:
    return {
        "agent": error.agent,
        "case": error.case_id,
        "message": error.message,
        "traceback": error.traceback,
    }


def _read_index(path: pathlib.Path) -> dict[str, dict[str, Any]]:
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ReportError(path, f"the existing index cannot be read ({exc})") from exc
    if not isinstance(existing, dict) or not all(isinstance(v, dict) for v in existing.values()):
        raise ReportError(path, "the existing file is not a report index; remove it")
    return existing


def _merge(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any]]:
    merged = {agent: dict(cases) for agent, cases in old.items()}
    for agent, cases in new.items():
        merged.setdefault(agent, {}).update(cases)
    return merged


def _check_prefixes(report: Report) -> None:
    seen: dict[str, str] = {}
    for agent in report.agents:
        prefix = clean_agent(agent)
        if prefix in seen:
            raise ReportError(
                pathlib.Path(case_file_name(agent, "1.1.1")),
                f"agents {seen[prefix]!r} and {agent!r} give the same file names",
            )
        seen[prefix] = agent


def write_json_report(
    report: Report, outdir: pathlib.Path | str, *, merge: bool = True
) -> list[pathlib.Path]:
    """Write ``index.json``, one file per result and ``harness_errors.json``.

    Returns the paths written. The directory is created when missing.

    Raises:
        ReportError: the directory cannot be created or written, two agents clean to the
            same file prefix, or (with ``merge``) an existing ``index.json`` is not a
            report index.
    """
    out = pathlib.Path(outdir)
    _check_prefixes(report)
    try:
        out.mkdir(parents=True, exist_ok=True)
        index_path = out / INDEX_FILE
        index = index_json(report)
        if merge:
            index = _merge(_read_index(index_path), index)
        written = []
        for result in report.results():
            path = out / case_file_name(result.agent, result.case_id)
            write_text(path, dumps(case_json(result)))
            written.append(path)
        write_text(index_path, dumps(index))
        errors_path = out / ERRORS_FILE
        write_text(errors_path, dumps([_error_json(e) for e in report.errors]))
    except OSError as exc:
        raise ReportError(out, exc.strerror or str(exc)) from exc
    return [index_path, *written, errors_path]
