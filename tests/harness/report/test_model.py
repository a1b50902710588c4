"""The report model: runner events, results per agent, harness errors apart."""

from __future__ import annotations

import datetime

from wsconform.cases.model import OK, Case, ExpectedClose, Verdict
from wsconform.harness.report import model
from wsconform.harness.report.model import (
    CaseFinished,
    CaseResult,
    CaseStarted,
    CloseVerdict,
    HarnessError,
    HarnessErrorRaised,
    Report,
    Verdicts,
)
from wsconform.harness.report.observation import Observation

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


def test_close_verdict_strings() -> None:
    assert [str(v) for v in CloseVerdict] == [
        "OK",
        "FAILED",
        "UNCLEAN",
        "WRONG CODE",
        "FAILED BY CLIENT",
        "INFORMATIONAL",
    ]


def test_failed_classification() -> None:
    assert not Verdicts(Verdict.OK, CloseVerdict.OK, "", "").failed
    assert not Verdicts(Verdict.NON_STRICT, CloseVerdict.WRONG_CODE, "", "").failed
    assert not Verdicts(Verdict.OK, CloseVerdict.FAILED_BY_CLIENT, "", "").failed
    assert not Verdicts(Verdict.UNIMPLEMENTED, CloseVerdict.OK, "", "").failed
    assert not Verdicts(Verdict.INFORMATIONAL, CloseVerdict.INFORMATIONAL, "", "").failed
    assert Verdicts(Verdict.FAILED, CloseVerdict.OK, "", "").failed
    assert Verdicts(Verdict.OK, CloseVerdict.FAILED, "", "").failed
    assert Verdicts(Verdict.OK, CloseVerdict.UNCLEAN, "", "").failed


def test_events_fill_the_report() -> None:
    report = Report()
    assert report.exit_code() == 0
    report.handle(CaseStarted("B", "2.10", 27, T0))
    report.handle(CaseStarted("B", "2.9", 25, T0))
    assert [e.case_id for e in report.unfinished()] == ["2.9", "2.10"]
    assert report.exit_code() == 2  # a case that never ended is a harness problem
    report.handle(CaseFinished(result("2.10", "B")))
    report.handle(CaseFinished(result("2.9", "B", Verdict.FAILED)))
    report.handle(CaseFinished(result("1.1.1", "A")))
    assert report.unfinished() == []
    assert report.agents == ["A", "B"]
    assert [r.case_id for r in report.results()] == ["1.1.1", "2.9", "2.10"]
    assert [r.case_id for r in report.results("B")] == ["2.9", "2.10"]
    assert report.counts("B") == {"OK": 1, "FAILED": 1}
    assert [r.case_id for r in report.failed()] == ["2.9"]
    assert report.exit_code() == 1
    # A re-run replaces the earlier result.
    report.handle(CaseFinished(result("2.9", "B")))
    assert report.get("B", "2.9") is not None
    assert report.failed() == []
    assert report.exit_code() == 0
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
    assert report.failed() == []
    assert report.errors == [error]
    assert error.message == "ConnectionRefusedError: refused"
    assert error.traceback is not None
    assert "ConnectionRefusedError" in error.traceback
    assert report.exit_code() == 2
