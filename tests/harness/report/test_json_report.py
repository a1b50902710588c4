"""The JSON report: Autobahn's formatting, file names, index and per-case fields."""

from __future__ import annotations

import datetime
import json
import os
import pathlib

import pytest

from tests.harness.report.sample import write
from wsconform.cases.model import (
    NON_STRICT,
    OK,
    Case,
    ExpectedClose,
    Message,
    Pong,
    Timeout,
    Verdict,
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
    TrafficStats,
    TxFrame,
    TxOctets,
    WirelogMode,
)
from wsconform.harness.record.outcome import CloseVerdict, Verdicts
from wsconform.harness.report import json_report
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.exceptions import ReportError
from wsconform.harness.report.json_report import (
    case_json,
    dumps,
    event_json,
    hex_text,
    index_json,
    payload_text,
    wirelog_entry_json,
)
from wsconform.harness.report.model import (
    AGENT_FILE_LIMIT,
    CaseResult,
    HarnessError,
    Report,
    case_file_name,
    clean_agent,
)

T0 = datetime.datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)

#: Every field of docs/autobahn.md section 7.3.
AUTOBAHN_FIELDS = {
    "agent",
    "behavior",
    "behaviorClose",
    "case",
    "closedByMe",
    "createStats",
    "createWirelog",
    "description",
    "droppedByMe",
    "duration",
    "expectation",
    "expected",
    "expectedClose",
    "failedByMe",
    "httpRequest",
    "httpResponse",
    "id",
    "isServer",
    "localCloseCode",
    "localCloseReason",
    "received",
    "remoteCloseCode",
    "remoteCloseReason",
    "reportCompressionRatio",
    "reportTime",
    "result",
    "resultClose",
    "rxFrameStats",
    "rxOctetStats",
    "started",
    "trafficStats",
    "txFrameStats",
    "txOctetStats",
    "wasClean",
    "wasCloseHandshakeTimeout",
    "wasNotCleanReason",
    "wasOpenHandshakeTimeout",
    "wasServerConnectionDropTimeout",
    "wirelog",
}


def make_result(
    case_id: str = "3.2", agent: str = "AutobahnServer", **case_fields: object
) -> CaseResult:
    fields: dict[str, object] = {
        "expected": {OK: (Message(b"Hello, world!"),), NON_STRICT: ()},
        "expected_close": ExpectedClose(False, (1002,), False),
    }
    fields.update(case_fields)
    case = Case(case_id, "Send <b>this</b>.", "Expect that.", (), **fields)  # type: ignore[arg-type]
    obs = Observation(opened=True, was_clean=True, remote_close_code=1002)
    obs.remote_close_reason = "protocol error"
    obs.http_request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n\r\n"
    obs.record(Message(b"Hello, world!"))
    obs.note_tx_octets(b"\x81\x8d" + bytes(17), sync=False)
    obs.note_tx_frame(1, True, 0, b"Hello, world!", mask=b"\x01\x02\x03\x04")
    obs.note_rx_octets(b"\x81\x0dHello, world!")
    obs.note_rx_frame(1, True, 0, b"Hello, world!", mask=None)
    obs.log(KillAfterArmed(1))
    verdicts = Verdicts(Verdict.OK, CloseVerdict.OK, "matched", "closed")
    return CaseResult(case, agent, 29, obs, verdicts, T0, 12, target="ws://127.0.0.1:9001")


def test_exports() -> None:
    for name in json_report.__all__:
        assert hasattr(json_report, name), name


def test_dumps_formatting() -> None:
    text = dumps({"b": [1, {"y": None, "x": True}], "a": {10: 1, 9: 2, 100: 3}, "c": [], "d": {}})
    assert text == (
        "{\n"
        '   "a": {\n'
        '      "9": 2,\n'
        '      "10": 1,\n'
        '      "100": 3\n'
        "   },\n"
        '   "b": [\n'
        "      1,\n"
        "      {\n"
        '         "x": true,\n'
        '         "y": null\n'
        "      }\n"
        "   ],\n"
        '   "c": [],\n'
        '   "d": {}\n'
        "}"
    )


@pytest.mark.parametrize(
    ("agent", "clean"),
    [
        ("AutobahnServer", "autobahnserver"),
        ("AutobahnTestSuite/25.10.1-0.10.9", "autobahntestsuite_25_10_1_0_10_9"),
        ("My Server!", "my_server"),
        ("  a--b  ", "a__b"),
        ("ÄÖ x", "x"),
    ],
)
def test_clean_agent(agent: str, clean: str) -> None:
    assert clean_agent(agent) == clean


def test_a_long_agent_gets_a_short_distinct_file_name() -> None:
    long_a, long_b = "S" * 300, "S" * 299 + "T"
    name_a, name_b = case_file_name(long_a, "12.3.10", "html"), case_file_name(long_b, "1.1.1")
    assert clean_agent(long_a) != clean_agent(long_b)
    assert len(clean_agent(long_a)) == AGENT_FILE_LIMIT
    assert clean_agent(long_a).startswith("s" * (AGENT_FILE_LIMIT - 9) + "_")
    assert len(name_a.encode()) < 255 and len(name_b.encode()) < 255
    assert clean_agent("s" * AGENT_FILE_LIMIT) == "s" * AGENT_FILE_LIMIT


def test_a_300_character_agent_is_written(tmp_path: pathlib.Path) -> None:
    report = Report()
    report.add(make_result(agent="A" * 300))
    written = write(report, tmp_path, ("json",))
    index = json.loads((tmp_path / "index.json").read_text())
    reportfile = index["A" * 300]["3.2"]["reportfile"]
    assert (tmp_path / reportfile) in written
    assert json.loads((tmp_path / reportfile).read_text())["agent"] == "A" * 300


def test_report_files_honour_the_umask(tmp_path: pathlib.Path) -> None:
    report = Report()
    report.add(make_result())
    old = os.umask(0o022)
    try:
        paths = write(report, tmp_path / "a", ("json",))
        os.umask(0o077)
        private = write(report, tmp_path / "b", ("json",))
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in paths} == {"0o644"}
    assert {oct(p.stat().st_mode & 0o777) for p in private} == {"0o600"}


def test_case_file_name() -> None:
    assert case_file_name("AutobahnServer", "6.4.1") == "autobahnserver_case_6_4_1.json"
    assert case_file_name("My Server!", "2.10", "html") == "my_server_case_2_10.html"


def test_payload_text_rule() -> None:
    assert payload_text(b"Hello, world!") == "Hello, world!"
    assert payload_text(b"\xfe" * 125) == "0x" + "fe" * 64 + " ..."
    assert payload_text(b"\xfe" * 8) == "0x" + "fe" * 8
    # 60 bytes: kept whole; 61 to 64 bytes: kept whole, but the ellipsis is added.
    assert payload_text(b"*" * 60) == "*" * 60
    assert payload_text(b"*" * 61) == "*" * 61 + " ..."
    assert payload_text(b"*" * 200) == "*" * 64 + " ..."
    # A cut inside a code point is not UTF-8 any more: hex.
    assert payload_text(b"a" * 63 + "é".encode()) == "0x" + ("61" * 63 + "c3") + " ..."
    # The same with only a head kept and the true length given.
    assert payload_text(b"*" * 64, 1000) == "*" * 64 + " ..."
    assert payload_text(b"", 0) == ""
    assert hex_text(b"\x00\xff") == "00ff"
    assert hex_text(bytes(64), 65536) == "00" * 64 + " ..."


def test_event_display() -> None:
    assert event_json(Message(b"Hello, world!")) == ["message", "Hello, world!", False]
    assert event_json(Message(b"\xfe" * 125, True)) == ["message", "0x" + "fe" * 64 + " ...", True]
    assert event_json(Pong(b"")) == ["pong", ""]
    assert event_json(Timeout("A")) == ["timeout", "A"]


def test_wirelog_shapes() -> None:
    assert wirelog_entry_json(RxOctets(3, b"abc")) == ["RO", [3, "616263"]]
    assert wirelog_entry_json(TxOctets(100, bytes(64), True)) == [
        "TO",
        [100, "00" * 64 + " ..."],
        True,
    ]
    assert wirelog_entry_json(RxFrame(2, b"hi", 1, True, 0, False, None)) == [
        "RF",
        [2, "hi"],
        1,
        True,
        0,
        False,
        None,
    ]
    assert wirelog_entry_json(
        TxFrame(10, b"BAsd7&jh23", 1, True, 0, b"\xab\xcd\xef\x01", 65536, 997, False)
    ) == ["TF", [10, "BAsd7&jh23"], 1, True, 0, "abcdef01", 65536, 997, False]
    assert wirelog_entry_json(ContinueLaterArmed(1.0, "A")) == ["CT", 1, "A"]
    assert wirelog_entry_json(ContinueLaterFired("A")) == ["CTE", "A"]
    assert wirelog_entry_json(KillAfterArmed(0.5)) == ["KL", 0.5]
    assert wirelog_entry_json(KillAfterFired()) == ["KLE"]
    assert wirelog_entry_json(CloseAfterArmed(10)) == ["TI", 10]
    assert wirelog_entry_json(CloseAfterFired()) == ["TIE"]
    assert wirelog_entry_json(WirelogMode(False)) == ["WLM", False]


def test_what_the_bounds_kept_out_is_in_our_own_key() -> None:
    result = make_result()
    obs = result.observation
    obs.handshake_status = "HTTP/1.1 101 Switching Protocols"
    obs.note_discarded(RxFrame(1, b"x", 1, True, 2, False, None))
    obs.note_discarded(RxFrame(0, b"", 0, True, 0, False, None))
    obs.drop_entry()
    obs.drop_entry()
    mine = case_json(result)["wsconform"]
    assert mine["discardedFrames"] == 2
    assert mine["discarded"] == [
        ["RF", [1, "x"], 1, True, 2, False, None],
        ["RF", [0, ""], 0, True, 0, False, None],
    ]
    assert mine["handshakeStatus"] == "HTTP/1.1 101 Switching Protocols"
    assert mine["handshakeFailure"] is None
    assert mine["wirelogTruncated"] is True
    assert mine["wirelogTruncatedAfter"] == len(obs.wirelog) == 5
    assert mine["wirelogDropped"] == 2
    assert mine["receivedTruncatedAfter"] is None and mine["receivedDropped"] == 0
    assert mine["pongsWithheld"] == 0


def test_case_json_fields() -> None:
    data = case_json(make_result())
    assert set(data) == AUTOBAHN_FIELDS | {"wsconform"}
    assert data["case"] == 29
    assert data["id"] == "3.2"
    assert data["started"] == "2024-01-02T03:04:05.678Z"
    assert data["duration"] == 12
    assert data["createStats"] is True
    assert data["expected"] == {"OK": [["message", "Hello, world!", False]], "NON-STRICT": []}
    assert data["expectedClose"] == {
        "closeCode": [1002],
        "closedByMe": False,
        "requireClean": False,
    }
    assert data["received"] == [["message", "Hello, world!", False]]
    assert data["httpRequest"].startswith("GET / HTTP/1.1\r\n")
    assert data["httpResponse"] == "?"
    assert data["localCloseCode"] is None
    assert data["localCloseReason"] is None
    assert data["remoteCloseReason"] == "protocol error"
    assert data["trafficStats"] is None
    assert data["txFrameStats"] == {1: 1}
    assert data["rxOctetStats"] == {15: 1}
    assert data["wirelog"][0] == ["TO", [19, "818d" + "00" * 17], False]
    assert data["wirelog"][1] == [
        "TF",
        [13, "Hello, world!"],
        1,
        True,
        0,
        "01020304",
        None,
        None,
        False,
    ]
    assert data["wirelog"][-1] == ["KL", 1]
    assert data["wsconform"]["target"] == "ws://127.0.0.1:9001"
    # The fatal flag appears only where a case uses it.
    fatal = ExpectedClose(False, (1007,), False, fatal_wrong_endpoint=True)
    data = case_json(make_result("6.3.1", expected={OK: ()}, expected_close=fatal))
    assert data["expectedClose"]["closedByWrongEndpointIsFatal"] is True


def test_local_close_reason_forms() -> None:
    result = make_result()
    result.observation.local_close_code = 1001
    result.observation.local_close_reason = b"Going Away"
    assert case_json(result)["localCloseReason"] == "Going Away"
    invalid = bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")
    result = make_result("7.5.1", expected={OK: ()}, hex_local_close_reason=True)
    result.observation.local_close_reason = invalid
    assert case_json(result)["localCloseReason"] == invalid.hex()
    result.observation.local_close_reason = None
    assert case_json(result)["localCloseReason"] == "?"
    # Without the 7.5.1 flag, undecodable bytes still come out as hex, never as a crash.
    result = make_result()
    result.observation.local_close_reason = b"\xff"
    assert case_json(result)["localCloseReason"] == "ff"


def test_traffic_stats_keys() -> None:
    result = make_result("12.1.1", expected={}, report_time=True, report_compression_ratio=True)
    stats = TrafficStats(outgoing_octets_app_level=100, outgoing_octets_websocket_level=10)
    result.observation.traffic_stats = stats
    data = case_json(result)["trafficStats"]
    keys = [
        f"{direction}{key}"
        for direction in ("outgoing", "incoming")
        for key in (
            "OctetsWireLevel",
            "OctetsWebSocketLevel",
            "OctetsAppLevel",
            "CompressionRatio",
            "WebSocketOverhead",
            "WebSocketFrames",
            "WebSocketMessages",
        )
    ]
    keys += ["preopenIncomingOctetsWireLevel", "preopenOutgoingOctetsWireLevel"]
    assert sorted(data) == sorted(keys)
    assert data["outgoingCompressionRatio"] == 0.1
    assert data["incomingCompressionRatio"] is None


def test_index_shape() -> None:
    report = Report()
    report.add(make_result("3.2"))
    report.add(make_result("10.1.1", expected={}))
    report.add(make_result("2.1", agent="Other/1.0"))
    index = index_json(Collection.of(report))
    assert index == {
        "AutobahnServer": {
            "3.2": {
                "behavior": "OK",
                "behaviorClose": "OK",
                "duration": 12,
                "remoteCloseCode": 1002,
                "reportfile": "autobahnserver_case_3_2.json",
            },
            "10.1.1": {
                "behavior": "OK",
                "behaviorClose": "OK",
                "duration": 12,
                "remoteCloseCode": 1002,
                "reportfile": "autobahnserver_case_10_1_1.json",
            },
        },
        "Other/1.0": {
            "2.1": {
                "behavior": "OK",
                "behaviorClose": "OK",
                "duration": 12,
                "remoteCloseCode": 1002,
                "reportfile": "other_1_0_case_2_1.json",
            }
        },
    }
    # Case ids sort as strings in the file, as with Autobahn's sort_keys.
    text = dumps(index)
    assert text.index('"10.1.1"') < text.index('"3.2"')


def test_write_report(tmp_path: pathlib.Path) -> None:
    report = Report()
    report.add(make_result("3.2"))
    report.add_error(HarnessError("AutobahnServer", "3.3", "ConnectionRefusedError: refused"))
    outdir = tmp_path / "reports" / "servers"
    paths = write(report, outdir, ("json",))
    names = sorted(p.name for p in paths)
    assert names == ["autobahnserver_case_3_2.json", "harness_errors.json", "index.json"]
    text = (outdir / "autobahnserver_case_3_2.json").read_text()
    assert text == dumps(json.loads(text))  # exact formatting, round-trips
    assert text.startswith('{\n   "agent": "AutobahnServer",\n   "behavior": "OK",\n')
    index = json.loads((outdir / "index.json").read_text())
    assert index["AutobahnServer"]["3.2"]["reportfile"] == "autobahnserver_case_3_2.json"
    errors = json.loads((outdir / "harness_errors.json").read_text())
    assert errors == [
        {
            "agent": "AutobahnServer",
            "case": "3.3",
            "message": "ConnectionRefusedError: refused",
            "traceback": None,
        }
    ]
    assert not [p for p in outdir.iterdir() if p.name.endswith(".tmp")]


def test_a_run_replaces_its_agents_and_keeps_the_others(tmp_path: pathlib.Path) -> None:
    first = Report()
    first.add(make_result("3.2", agent="A"))
    first.add(make_result("3.3", agent="A"))
    first.add(make_result("3.2", agent="B"))
    first.add_error(HarnessError("B", "3.4", "boom"))
    write(first, tmp_path, ("json",))
    kept = json.loads((tmp_path / "index.json").read_text())["B"]
    second = Report()
    replaced = make_result("3.3", agent="A")
    replaced.duration_ms = 99
    second.add(replaced)
    write(second, tmp_path, ("json",))
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index) == ["A", "B"]
    # A's subset re-run is all that is reported for A; its older 3.2 file is gone.
    assert sorted(index["A"]) == ["3.3"]
    assert index["A"]["3.3"]["duration"] == 99
    assert not (tmp_path / "a_case_3_2.json").exists()
    # B's entries and harness errors are kept verbatim.
    assert index["B"] == kept
    assert (tmp_path / "b_case_3_2.json").exists()
    errors = json.loads((tmp_path / "harness_errors.json").read_text())
    assert [(e["agent"], e["case"]) for e in errors] == [("B", "3.4")]


def test_write_refuses_a_foreign_index(tmp_path: pathlib.Path) -> None:
    (tmp_path / "index.json").write_text("[1, 2]")
    report = Report()
    report.add(make_result())
    with pytest.raises(ReportError, match="not a report index"):
        write(report, tmp_path, ("json",))
    (tmp_path / "index.json").write_text("{")
    with pytest.raises(ReportError, match="cannot be read"):
        write(report, tmp_path, ("json",))


def test_write_refuses_clashing_agents(tmp_path: pathlib.Path) -> None:
    report = Report()
    report.add(make_result(agent="My Server!"))
    report.add(make_result(agent="my server?"))
    with pytest.raises(ReportError, match="same file names"):
        write(report, tmp_path, ("json",))


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_write_unwritable_outdir(tmp_path: pathlib.Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    report = Report()
    report.add(make_result())
    try:
        with pytest.raises(ReportError):
            write(report, locked / "sub", ("json",))
    finally:
        locked.chmod(0o700)


def test_write_outdir_is_a_file(tmp_path: pathlib.Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    report = Report()
    report.add(make_result())
    with pytest.raises(ReportError):
        write(report, target, ("json",))
