"""The CI gate: every exit code of docs/ci.md, baselines, --update-baseline."""

from __future__ import annotations

import argparse
import io
import json
import pathlib

import pytest

from wsconform.cases.model import Verdict
from wsconform.harness import gate
from wsconform.harness.gate import (
    EXIT_ERROR,
    EXIT_FAILED,
    EXIT_OK,
    Baseline,
    BaselineError,
    add_gate_arguments,
    apply_gate,
    evaluate,
    load_outcomes,
)
from wsconform.harness.record.outcome import CloseVerdict, Outcome, Verdicts
from wsconform.harness.report.model import CaseResult, CaseStarted, HarnessError, Report

from .report.sample import BAD, GOOD, T0, sample_report, write

FAILED, NON_STRICT, INFO, UNIMPL, OK = (
    Outcome.FAILED,
    Outcome.NON_STRICT,
    Outcome.INFORMATIONAL,
    Outcome.UNIMPLEMENTED,
    Outcome.OK,
)


def _only(*pairs: tuple[str, str]) -> Report:
    """A report with the given (agent, case) results of the sample."""
    full = sample_report()
    report = Report()
    for agent, case_id in pairs:
        result = full.get(agent, case_id)
        assert result is not None
        report.add(result)
    return report


def _with(report: Report, agent: str, case_id: str, behavior: str, close: str) -> CaseResult:
    """Change one result's verdicts (keeps everything else as the runner made it)."""
    result = report.get(agent, case_id)
    assert result is not None
    result.verdicts = Verdicts(Verdict(behavior), CloseVerdict(close), "r", "c")
    return result


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_gate_arguments(parser)
    return parser.parse_args(argv)


def test_exports() -> None:
    for name in gate.__all__:
        assert hasattr(gate, name), name


# --- the exit-code table ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("case_id", "fail_on", "code"),
    [
        # OK passes every level.
        ("1.1.1", FAILED, EXIT_OK),
        ("1.1.1", NON_STRICT, EXIT_OK),
        ("1.1.1", INFO, EXIT_OK),
        # INFORMATIONAL fails only --fail-on informational.
        ("7.1.6", FAILED, EXIT_OK),
        ("7.1.6", NON_STRICT, EXIT_OK),
        # An informational case reaching INFORMATIONAL is what it is meant to do.
        ("7.1.6", INFO, EXIT_OK),
        # UNIMPLEMENTED likewise.
        ("12.1.1", FAILED, EXIT_OK),
        ("12.1.1", NON_STRICT, EXIT_OK),
        ("12.1.1", INFO, EXIT_FAILED),
        # NON-STRICT fails non-strict and informational.
        ("3.2", FAILED, EXIT_OK),
        ("3.2", NON_STRICT, EXIT_FAILED),
        ("3.2", INFO, EXIT_FAILED),
        # FAILED fails every level.
        ("1.1.2", FAILED, EXIT_FAILED),
        ("1.1.2", NON_STRICT, EXIT_FAILED),
        ("1.1.2", INFO, EXIT_FAILED),
    ],
)
def test_fail_on_levels(case_id: str, fail_on: Outcome, code: int) -> None:
    assert evaluate(_only((BAD, case_id)), fail_on).exit_code == code


def test_harness_errors_always_exit_2() -> None:
    report = _only((BAD, "1.1.1"))
    report.add_error(HarnessError(BAD, "5.1", "refused"))
    for level in (FAILED, NON_STRICT, INFO):
        assert evaluate(report, level).exit_code == EXIT_ERROR
    # Even with a failed case and a baseline that accepts everything.
    report = sample_report()
    accept_all = Baseline({BAD: dict.fromkeys(("1.1.2", "6.3.1", "7.7.1"), FAILED)})
    assert evaluate(report, FAILED, accept_all).exit_code == EXIT_ERROR


def test_unfinished_cases_exit_2() -> None:
    report = _only((BAD, "1.1.1"))
    report.handle(CaseStarted(BAD, "2.1", 17, T0))
    result = evaluate(report)
    assert result.exit_code == EXIT_ERROR
    assert result.errors[0].message == "the case never finished"


def test_empty_report_passes() -> None:
    assert evaluate(Report()).exit_code == EXIT_OK


# --- baselines -------------------------------------------------------------------------


def test_baseline_accepts_known_failures_and_catches_worse() -> None:
    report = _only((BAD, "1.1.1"), (BAD, "1.1.2"), (BAD, "3.2"), (BAD, "7.7.1"))
    baseline = Baseline({BAD: {"1.1.1": OK, "1.1.2": FAILED, "3.2": OK, "7.7.1": NON_STRICT}})
    result = evaluate(report, FAILED, baseline)
    # 1.1.2 stays FAILED (accepted); 7.7.1 went NON-STRICT -> FAILED (worse, fatal);
    # 3.2 went OK -> NON-STRICT (worse, below --fail-on failed: listed, not fatal).
    assert [(i.case_id, i.baseline, i.outcome) for i in result.failing] == [
        ("7.7.1", NON_STRICT, FAILED)
    ]
    assert [i.case_id for i in result.worse] == ["3.2", "7.7.1"]
    assert result.better == [] and result.new == [] and result.missing == []
    assert result.exit_code == EXIT_FAILED
    assert evaluate(report, NON_STRICT, baseline).exit_code == EXIT_FAILED
    assert [i.case_id for i in evaluate(report, NON_STRICT, baseline).failing] == ["3.2", "7.7.1"]


def test_baseline_improvement_passes_and_is_listed() -> None:
    report = _only((GOOD, "1.1.2"))
    result = evaluate(report, FAILED, Baseline({GOOD: {"1.1.2": FAILED}}))
    assert result.exit_code == EXIT_OK
    assert [(i.case_id, i.baseline, i.outcome) for i in result.better] == [("1.1.2", FAILED, OK)]
    assert any("better than the baseline" in line for line in result.lines())


def test_new_case_is_judged_by_the_level_alone() -> None:
    report = _only((BAD, "1.1.1"), (BAD, "1.1.2"))
    baseline = Baseline({BAD: {"1.1.1": OK}})
    result = evaluate(report, FAILED, baseline)
    assert [i.case_id for i in result.new] == ["1.1.2"]
    assert [i.case_id for i in result.failing] == ["1.1.2"]
    assert result.exit_code == EXIT_FAILED
    ok_new = evaluate(_only((GOOD, "1.1.1"), (GOOD, "1.1.2")), FAILED, Baseline({GOOD: {}}))
    assert ok_new.exit_code == EXIT_OK and len(ok_new.new) == 2


def test_missing_case_is_listed_not_fatal() -> None:
    report = _only((GOOD, "1.1.1"))
    baseline = Baseline({GOOD: {"1.1.1": OK, "2.2": FAILED, "9.1.1": OK}})
    result = evaluate(report, FAILED, baseline)
    assert [(i.case_id, i.outcome) for i in result.missing] == [("2.2", None), ("9.1.1", None)]
    assert result.exit_code == EXIT_OK
    assert "gate: 2 baseline cases did not run" in result.lines()


def test_single_agent_baseline_applies_to_a_renamed_agent() -> None:
    report = _only((BAD, "1.1.2"))
    baseline = Baseline({"BrokenServer/0.9": {"1.1.2": FAILED}})
    assert evaluate(report, FAILED, baseline).exit_code == EXIT_OK
    two = Baseline({"A": {"1.1.2": FAILED}, "B": {"1.1.2": FAILED}})
    assert evaluate(report, FAILED, two).exit_code == EXIT_FAILED


def test_baseline_file_round_trip(tmp_path: pathlib.Path) -> None:
    baseline = Baseline.of(sample_report())
    path = tmp_path / "ci" / "baseline.json"
    baseline.save(path)
    data = json.loads(path.read_text())
    assert data["wsconform-baseline"] == 1
    assert list(data["agents"][BAD]) == [
        "1.1.1",
        "1.1.2",
        "2.2",
        "3.2",
        "6.3.1",
        "7.1.6",
        "7.7.1",
        "12.1.1",
    ]  # numeric order, and the errored 5.1 is not a verdict
    assert data["agents"][BAD]["3.2"] == "NON-STRICT"
    assert Baseline.load(path) == baseline


def test_load_outcomes_reads_reports_too(tmp_path: pathlib.Path) -> None:
    write(sample_report(), tmp_path, ("json",))
    from_dir = load_outcomes(tmp_path)
    from_index = load_outcomes(tmp_path / "index.json")
    assert from_dir == from_index == Baseline.of(sample_report()).outcomes


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{nope", "cannot be read"),
        ("[]", "neither a baseline nor a report"),
        ('{"wsconform-baseline": 2, "agents": {}}', "unsupported baseline format 2"),
        ('{"wsconform-baseline": 1}', "needs an 'agents' object"),
        ('{"wsconform-baseline": 1, "agents": {"A": {"1.1.1": "PASS"}}}', "unknown verdict"),
        ('{"wsconform-baseline": 1, "agents": {"A": {"x.y": "OK"}}}', "case 'x.y'"),
        ('{"A": {"1.1.1": 3}}', "not a summary"),
        ('{"A": 3}', "neither a baseline nor a report"),
    ],
)
def test_bad_baselines(tmp_path: pathlib.Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=message):
        load_outcomes(path)


def test_missing_baseline_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(BaselineError, match="no such file"):
        Baseline.load(tmp_path / "absent.json")


# --- apply_gate: the command-line glue --------------------------------------------------


def test_apply_gate_defaults_and_levels() -> None:
    out = io.StringIO()
    report = _only((BAD, "1.1.1"), (BAD, "3.2"))
    assert apply_gate(report, _parse([]), out) == EXIT_OK
    assert out.getvalue().splitlines()[-1] == "gate: pass (--fail-on failed, exit 0)"
    out = io.StringIO()
    assert apply_gate(report, _parse(["--fail-on", "non-strict"]), out) == EXIT_FAILED
    text = out.getvalue()
    assert f"gate: 1 case at NON-STRICT or worse:\n  {BAD}: 3.2\n" in text
    assert "->" not in text  # each failing case listed once, no empty baseline column
    assert "gate: FAIL (--fail-on non-strict, exit 1)" in text


def test_apply_gate_rejects_a_bad_level() -> None:
    with pytest.raises(SystemExit) as exc:
        _parse(["--fail-on", "warnings"])
    assert exc.value.code == 2


def test_apply_gate_with_a_baseline(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "baseline.json"
    Baseline({BAD: {"1.1.2": FAILED}}).save(path)
    out = io.StringIO()
    args = _parse(["--baseline", str(path)])
    assert apply_gate(_only((BAD, "1.1.2")), args, out) == EXIT_OK
    report = _only((BAD, "1.1.2"), (BAD, "7.7.1"))
    assert apply_gate(report, args, io.StringIO()) == EXIT_FAILED


def test_apply_gate_with_an_unreadable_baseline(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parse(["--baseline", str(tmp_path / "absent.json")])
    assert apply_gate(_only((BAD, "1.1.1")), args, io.StringIO()) == EXIT_ERROR
    assert "no such file" in capsys.readouterr().err


def test_update_baseline_writes_a_file_that_then_passes(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "baseline.json"
    report = _only((BAD, "1.1.1"), (BAD, "1.1.2"), (BAD, "3.2"))
    args = _parse(["--fail-on", "non-strict", "--baseline", str(path), "--update-baseline"])
    out = io.StringIO()
    assert apply_gate(report, args, out) == EXIT_OK
    assert f"gate: baseline written to {path}" in out.getvalue()
    # The same run against the written baseline passes without updating...
    plain = _parse(["--fail-on", "non-strict", "--baseline", str(path)])
    assert apply_gate(report, plain, io.StringIO()) == EXIT_OK
    # ...and a worse verdict later fails.
    _with(report, BAD, "1.1.1", "FAILED", "OK")
    assert apply_gate(report, plain, io.StringIO()) == EXIT_FAILED


def test_update_baseline_merges_over_the_old_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "baseline.json"
    Baseline({BAD: {"9.1.1": FAILED, "1.1.1": FAILED}}).save(path)
    args = _parse(["--baseline", str(path), "--update-baseline"])
    assert apply_gate(_only((BAD, "1.1.1")), args, io.StringIO()) == EXIT_OK
    assert Baseline.load(path).outcomes == {BAD: {"9.1.1": FAILED, "1.1.1": OK}}


def test_update_baseline_still_exits_2_on_harness_errors(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "baseline.json"
    args = _parse(["--baseline", str(path), "--update-baseline"])
    assert apply_gate(sample_report(), args, io.StringIO()) == EXIT_ERROR
    assert path.exists()


def test_update_baseline_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert apply_gate(Report(), _parse(["--update-baseline"]), io.StringIO()) == EXIT_ERROR
    assert "--update-baseline needs --baseline FILE" in capsys.readouterr().err
