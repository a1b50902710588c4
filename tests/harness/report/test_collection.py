"""The collection: this run merged with the output directory's earlier entries."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report import collection
from wsconform.harness.report.collection import ERROR, MISSING, Collection, Entry
from wsconform.harness.report.exceptions import ReportError
from wsconform.harness.report.model import CaseStarted, HarnessError, Report

from .sample import BAD, GOOD, T0, sample_report, write


def test_exports() -> None:
    for name in collection.__all__:
        assert hasattr(collection, name), name


def test_states_of_the_sample() -> None:
    c = Collection.of(sample_report())
    assert c.agents == [BAD, GOOD]
    assert c.case_ids == [
        "1.1.1",
        "1.1.2",
        "2.2",
        "3.2",
        "5.1",
        "6.3.1",
        "7.1.6",
        "7.7.1",
        "12.1.1",
    ]
    assert [c.state(BAD, i) for i in c.case_ids] == [
        "OK",
        "FAILED",
        "OK",
        "NON-STRICT",
        ERROR,
        "FAILED",
        "INFORMATIONAL",
        "FAILED",
        "UNIMPLEMENTED",
    ]
    assert c.state(GOOD, "2.2") == MISSING
    assert c.counts(BAD)["FAILED"] == 3
    assert c.counts(GOOD, ["1.1.1", "1.1.2", "2.2"]) == {"OK": 2, MISSING: 1}
    assert [e.message for e in c.run_errors] == ["the run was cut short: out of file descriptors"]
    assert [e.case_id for e in c.case_errors()] == ["5.1"]
    assert c.all_ok(["1.1.1"]) and not c.all_ok(["1.1.1", "1.1.2"])


def test_sections_follow_the_catalog_titles() -> None:
    sections = Collection.of(sample_report()).sections()
    assert [(s.number, s.title) for s in sections] == [
        ("1", "Framing"),
        ("2", "Pings/Pongs"),
        ("3", "Reserved Bits"),
        ("5", "Fragmentation"),
        ("6", "UTF-8 Handling"),
        ("7", "Close Handling"),
        ("12", "WebSocket Compression (different payloads)"),
    ]
    framing = sections[0].groups
    assert [(g.subsection, g.title, g.case_ids) for g in framing] == [
        ("1.1", "Text Messages", ["1.1.1", "1.1.2"])
    ]
    # Two-part ids (2.x, 3.x, 5.x) have no subsection row.
    assert sections[1].groups[0].subsection is None
    assert [g.subsection for g in sections[5].groups] == ["7.1", "7.7"]


def test_the_reason_explains_the_verdict_that_is_not_ok() -> None:
    c = Collection.of(sample_report())
    utf8 = c.entry(BAD, "6.3.1")
    assert utf8 is not None and utf8.reason.startswith("The peer did not close the connection")
    assert "1007" in utf8.reason
    close = c.entry(BAD, "7.7.1")
    assert close is not None and close.reason.startswith("The peer closed with close code")
    ok = c.entry(BAD, "1.1.1")
    assert ok is not None and ok.reason == ok.result_text


def test_earlier_runs_in_the_directory_are_merged(tmp_path: pathlib.Path) -> None:
    full = sample_report()
    first = Report()
    for result in full.results(GOOD):
        first.add(result)
    write(first, tmp_path, ("json",))
    second = Report()
    for result in full.results(BAD):
        second.add(result)
    c = Collection.of(second, tmp_path)
    assert c.agents == [BAD, GOOD]
    earlier = c.entry(GOOD, "7.7.1")
    assert earlier is not None and not earlier.current
    assert earlier.outcome is Outcome.OK
    assert earlier.result_text == "The peer answered exactly as a conforming peer does."
    assert earlier.description is not None and "1000" in earlier.description
    current = c.entry(BAD, "7.7.1")
    assert current is not None and current.current


def test_this_run_wins_over_the_directory(tmp_path: pathlib.Path) -> None:
    report = sample_report()
    write(report, tmp_path, ("json",))
    # Rewrite the earlier 1.1.2 of BAD as OK: this run's FAILED must still show.
    index_path = tmp_path / "index.json"
    index = json.loads(index_path.read_text())
    index[BAD]["1.1.2"]["behavior"] = "OK"
    index[BAD]["2.2"]["behavior"] = "FAILED"
    index_path.write_text(json.dumps(index))
    rerun = Report()
    bad_112 = report.get(BAD, "1.1.2")
    assert bad_112 is not None
    rerun.add(bad_112)
    rerun.add_error(HarnessError(BAD, "1.1.1", "connection reset"))
    c = Collection.of(rerun, tmp_path)
    assert c.state(BAD, "1.1.2") == "FAILED"  # this run's result
    assert c.state(BAD, "1.1.1") == ERROR  # this run's error beats the earlier OK
    # BAD was tested again: nothing of its earlier run is reported, its files are stale.
    assert c.state(BAD, "2.2") == MISSING
    assert "brokenserver_1_0_case_2_2.json" in c.stale_files
    assert "brokenserver_1_0_case_1_1_2.json" not in c.stale_files  # written again
    assert c.tested == [BAD]
    assert c.state(GOOD, "1.1.1") == "OK"  # another agent's entry stays


def test_unfinished_cases_count_as_harness_errors() -> None:
    report = Report()
    report.handle(CaseStarted(BAD, "4.1.1", 35, T0))
    c = Collection.of(report)
    assert c.state(BAD, "4.1.1") == ERROR
    assert "neither finished" in c.errors(BAD, "4.1.1")[0].message


def test_a_broken_index_is_a_report_error(tmp_path: pathlib.Path) -> None:
    (tmp_path / "index.json").write_text("[1, 2]")
    with pytest.raises(ReportError, match="not a report index"):
        Collection.of(Report(), tmp_path)
    (tmp_path / "index.json").write_text("{nope")
    with pytest.raises(ReportError, match="cannot be read"):
        Collection.of(Report(), tmp_path)


def test_index_entries_tolerate_missing_details(tmp_path: pathlib.Path) -> None:
    index: dict[str, dict[str, dict[str, Any]]] = {
        "Other": {
            "2.1": {
                "behavior": "OK",
                "behaviorClose": "OK",
                "duration": 3,
                "remoteCloseCode": 1000,
                "reportfile": "other_case_2_1.json",
            },
            "2.2": {"behaviorClose": "OK"},
            "not-a-case": {"behavior": "OK"},
        }
    }
    (tmp_path / "index.json").write_text(json.dumps(index))
    (tmp_path / "other_case_2_1.json").write_text("{broken")
    c = Collection.of(Report(), tmp_path)
    assert c.case_ids == ["2.1", "2.2"]
    entry = c.entry("Other", "2.1")
    assert entry == Entry(
        "Other", "2.1", "OK", "OK", 1000, 3, None, None, None, summary=index["Other"]["2.1"]
    )
    assert c.state("Other", "2.2") == "FAILED"  # no behavior recorded: not a pass


def test_description_falls_back_to_the_catalog() -> None:
    report = Report()
    report.add_error(HarnessError(BAD, "2.1", "boom"))
    c = Collection.of(report)
    assert c.description("2.1") is not None
    assert c.description("99.1") is None
