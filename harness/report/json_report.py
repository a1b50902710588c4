"""The JSON report in Autobahn's layout (docs/autobahn.md section 7), so Autobahn scripts work.

``<outdir>/index.json`` maps agent -> case id -> summary, and one
``<clean(agent)>_case_<id with _>.json`` per result carries every field of
docs/autobahn.md section 7.3.
Formatting is Autobahn's: keys sorted, 3-space indent, separators ``,`` and ``: ``,
integer keys as strings (sorted numerically, as Python sorts them before converting).
Our own additions live under one extra key, ``wsconform``, and ``harness_errors.json``
lists harness errors apart from the verdicts.

:func:`json_files` renders a :class:`~.collection.Collection`: this run's results, and
the index entries of other agents kept verbatim (see the collection's merging rule).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

from wsconform.cases.model import Case, Event, ExpectedClose, Message, Pong
from wsconform.harness.record.observation import (
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

from .collection import ERRORS_FILE, INDEX_FILE, Collection, Entry
from .model import CaseResult, HarnessError

__all__ = [
    "case_json",
    "decode_reason",
    "dumps",
    "event_json",
    "expected_close_json",
    "hex_text",
    "index_json",
    "json_files",
    "payload_text",
    "traffic_stats_json",
    "wirelog_entry_json",
]

_ELLIPSIS = b" ..."


def dumps(obj: object) -> str:
    """JSON exactly as Autobahn formats it."""
    return json.dumps(obj, sort_keys=True, indent=3, separators=(",", ": "))


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
    """The payload-as-text rule of docs/autobahn.md section 7.4.

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
    """One wire log entry in the shapes of docs/autobahn.md section 7.5."""
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
    """``trafficStats`` with Autobahn's 16 keys (docs/autobahn.md section 7.6)."""
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


def decode_reason(result: CaseResult) -> str | None:
    """The tester's close reason as the reports show it: text, else hex.

    7.5.1 sends invalid UTF-8 on purpose; Autobahn reports that reason as hex, ``?``
    when it is empty.
    """
    reason = result.observation.local_close_reason
    if result.case.hex_local_close_reason:
        return reason.hex() if reason else "?"
    if reason is None:
        return None
    try:
        return reason.decode("utf-8")
    except UnicodeDecodeError:
        return reason.hex()


def case_json(result: CaseResult) -> dict[str, Any]:
    """The per-case object: every field of docs/autobahn.md section 7.3, plus ``wsconform``.

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
        "localCloseReason": decode_reason(result),
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


def _summary(entry: Entry) -> dict[str, Any]:
    """An ``index.json`` entry: this run's computed, an earlier run's kept verbatim."""
    if entry.summary is not None and entry.result is None:
        return dict(entry.summary)
    return {
        "behavior": entry.behavior,
        "behaviorClose": entry.behavior_close,
        "duration": entry.duration_ms,
        "remoteCloseCode": entry.remote_close_code,
        "reportfile": entry.json_file,
    }


def index_json(collection: Collection) -> dict[str, dict[str, dict[str, Any]]]:
    """``index.json``: agent -> case id -> summary."""
    index: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in collection.entries():
        index.setdefault(entry.agent, {})[entry.case_id] = _summary(entry)
    return index


def _error_json(error: HarnessError) -> dict[str, Any]:
    return {
        "agent": error.agent,
        "case": error.case_id,
        "message": error.message,
        "traceback": error.traceback,
    }


def json_files(collection: Collection) -> Iterator[tuple[str, str]]:
    """(file name, text) of every JSON file: one per result of this run, the index, and
    ``harness_errors.json``."""
    for entry in collection.entries():
        if entry.result is not None:
            yield entry.json_file, dumps(case_json(entry.result))
    yield INDEX_FILE, dumps(index_json(collection))
    errors = [*collection.run_errors, *collection.case_errors()]
    yield ERRORS_FILE, dumps([_error_json(e) for e in errors])
