"""``wsconform compare OLD NEW``."""

from __future__ import annotations

import pathlib

import pytest

from wsconform.harness.cli import main
from wsconform.harness.commands import compare as compare_module
from wsconform.harness.commands.compare import compare
from wsconform.harness.gate import Baseline
from wsconform.harness.record.outcome import Outcome

from ..report.sample import BAD, GOOD, sample_report, write

OK, NS, FAILED = Outcome.OK, Outcome.NON_STRICT, Outcome.FAILED


def test_exports() -> None:
    for name in compare_module.__all__:
        assert hasattr(compare_module, name), name


def test_compare_lists_changes() -> None:
    old = {"A": {"1.1.1": OK, "1.1.2": FAILED, "2.1": OK, "3.1": OK}}
    new = {"A": {"1.1.1": FAILED, "1.1.2": OK, "2.1": OK, "4.1.1": NS}}
    result = compare(old, new)
    assert [(i.case_id, i.baseline, i.outcome) for i in result.worse] == [("1.1.1", OK, FAILED)]
    assert [i.case_id for i in result.better] == ["1.1.2"]
    assert [i.case_id for i in result.only_old] == ["3.1"]
    assert [i.case_id for i in result.only_new] == ["4.1.1"]
    assert result.unchanged == 1
    assert result.exit_code == 1
    assert compare(old, old).exit_code == 0


def test_single_agents_are_paired_whatever_their_names() -> None:
    result = compare({"S/1.0": {"2.1": OK}}, {"S/1.1": {"2.1": NS}})
    assert result.pairs == [("S/1.0", "S/1.1")]
    assert [i.agent for i in result.worse] == ["S/1.1"]
    two = compare({"A": {"2.1": OK}, "B": {"2.1": OK}}, {"A": {"2.1": OK}})
    assert [(i.agent, i.case_id) for i in two.only_old] == [("B", "2.1")]


def test_command_on_report_dirs_and_baselines(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    report = sample_report()
    write(report, new_dir, ("json",))
    baseline = Baseline.of(report)
    # OLD: BAD was better on 1.1.2 and worse on 3.2.
    baseline.outcomes[BAD]["1.1.2"] = OK
    baseline.outcomes[BAD]["3.2"] = FAILED
    del baseline.outcomes[GOOD]["7.7.1"]
    baseline.save(tmp_path / "old.json")
    write(report, old_dir, ("json",))
    assert main(["compare", str(old_dir), str(new_dir)]) == 0
    assert "0 changed (0 worse, 0 better), 12 unchanged" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "old.json"), str(new_dir / "index.json")]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "worse (1):"
    assert out[1].split() == [BAD, "1.1.2", "OK", "->", "FAILED"]
    assert out[2] == "better (1):"
    assert out[3].split() == [BAD, "3.2", "FAILED", "->", "NON-STRICT"]
    assert out[4] == "only in NEW (1):"
    assert out[-1] == "2 changed (1 worse, 1 better), 9 unchanged, 0 only in OLD, 1 only in NEW"


def test_command_exit_2_on_unreadable_input(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.json").write_text("{}")
    assert main(["compare", str(tmp_path / "absent"), str(tmp_path / "x.json")]) == 2
    assert "wsconform compare:" in capsys.readouterr().err
