"""The report model: runner events, results per agent, harness errors apart."""

from __future__ import annotations

import datetime

from wsconform.cases.model import OK, Case, ExpectedClose, Verdict
from wsconform.harness.record.observation import Observation
from wsconform.harness.record.outcome import CloseVerdict, Outcome, Verdicts
from wsconform.harness.report import model
from wsconform.harness.report.model import (
    CaseFinished,
    CaseResult,
    CaseStarted,
    HarnessError,
    HarnessErrorRaised,
    Report,
    case_file_name,
    clean_agent,
    reproduce_command,
)

T0 = datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)


def result(
    case_id: str,
    agent: str = "A",
    behavior: Verdict = Verdict.OK,
    close: CloseVerdict = CloseVerdict.OK,
) -> CaseResult:
    case = Case(case_id, "d", "e", (), {OK: ()}, ExpectedClose(True, (1000,), True))
    return CaseResult(
        case, agent, 1, Observation(opened=True), Verdicts(behavior, close, "r", "c"), T0, 3
    )


def test_exports() -> None:
    for name in model.__all__:
        assert hasattr(model, name), name


def test_events_fill_the_report() -> None:
    report = Report()
    report.handle(CaseStarted("B", "2.10", 27, T0))
    report.handle(CaseStarted("B", "2.9", 25, T0))
    assert [e.case_id for e in report.unfinished()] == ["2.9", "2.10"]
    report.handle(CaseFinished(result("2.10", "B")))
    report.handle(CaseFinished(result("2.9", "B", Verdict.FAILED)))
    report.handle(CaseFinished(result("1.1.1", "A")))
    assert report.unfinished() == []
    assert report.agents == ["A", "B"]
    assert [r.case_id for r in report.results()] == ["1.1.1", "2.9", "2.10"]
    assert [r.case_id for r in report.results("B")] == ["2.9", "2.10"]
    assert [r.outcome for r in report.results("B")] == [Outcome.FAILED, Outcome.OK]
    # A re-run replaces the earlier result.
    report.handle(CaseFinished(result("2.9", "B")))
    found = report.get("B", "2.9")
    assert found is not None and found.outcome is Outcome.OK
    assert report.get("C", "2.9") is None


def test_harness_errors_are_apart() -> None:
    report = Report()
    report.handle(CaseStarted("A", "1.1.1", 1, T0))
    try:
        raise ConnectionRefusedError("refused")
    except ConnectionRefusedError as exc:
        error = HarnessError.from_exception("A", "1.1.1", exc)
    report.handle(HarnessErrorRaised(error))
    assert report.unfinished() == []
    assert report.results() == []
    assert report.errors == [error]
    assert error.message == "ConnectionRefusedError: refused"
    assert error.traceback is not None
    assert "ConnectionRefusedError" in error.traceback


def test_file_names_follow_autobahn() -> None:
    assert clean_agent("  AutobahnPython/0.7.0 ") == "autobahnpython_0_7_0"
    assert case_file_name("My Server", "6.4.1") == "my_server_case_6_4_1.json"
    assert case_file_name("x", "1.1.1", "html") == "x_case_1_1_1.html"


def test_reproduce_command_is_quoted_for_a_shell() -> None:
    command = reproduce_command("ws://127.0.0.1:9001/a b", "it's", "6.4.1")
    assert command == (
        "wsconform test-server 'ws://127.0.0.1:9001/a b' --agent 'it'\"'\"'s' --cases 6.4.1"
    )
    assert result("1.1.1").reproduce is None
