"""write_reports: every format into one directory, runs of several agents merged."""

from __future__ import annotations

import argparse
import json
import pathlib

import pytest

from wsconform.harness.report import render
from wsconform.harness.report.exceptions import ReportError
from wsconform.harness.report.model import Report
from wsconform.harness.report.render import (
    FORMATS,
    add_report_arguments,
    parse_formats,
)

from .sample import BAD, GOOD, sample_report, write


def test_exports() -> None:
    for name in render.__all__:
        assert hasattr(render, name), name


def test_parse_formats() -> None:
    assert parse_formats("all") == FORMATS
    assert parse_formats("markdown, JSON") == ("json", "markdown")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown report format"):
        parse_formats("json,pdf")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_formats(" , ")
    parser = argparse.ArgumentParser()
    add_report_arguments(parser)
    assert parser.parse_args([]).formats == FORMATS
    assert parser.parse_args(["--format", "junit"]).formats == ("junit",)


def test_every_format(tmp_path: pathlib.Path) -> None:
    written = write(sample_report(), tmp_path)
    names = {p.name for p in written}
    assert {"index.json", "index.html", "junit.xml", "summary.md", "harness_errors.json"} <= names
    assert "brokenserver_1_0_case_1_1_2.json" in names
    assert "brokenserver_1_0_case_1_1_2.html" in names
    assert all(p.exists() for p in written)


def test_some_formats(tmp_path: pathlib.Path) -> None:
    written = write(sample_report(), tmp_path, ("junit", "markdown"))
    assert sorted(p.name for p in written) == ["junit.xml", "summary.md"]
    assert not (tmp_path / "index.json").exists()
    with pytest.raises(ValueError, match="unknown report formats: pdf"):
        write(sample_report(), tmp_path, ("pdf",))


def test_two_runs_into_one_directory_give_one_report(tmp_path: pathlib.Path) -> None:
    full = sample_report()
    for agent in (GOOD, BAD):
        run = Report()
        for result in full.results(agent):
            run.add(result)
        write(run, tmp_path)
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index) == [BAD, GOOD]
    html = (tmp_path / "index.html").read_text()
    assert GOOD in html and BAD in html
    junit = (tmp_path / "junit.xml").read_text()
    assert f'<testsuite name="{GOOD}"' in junit and f'<testsuite name="{BAD}"' in junit
    assert "| GoodServer/2.0 | 4 |" in (tmp_path / "summary.md").read_text()


def test_unwritable_directory(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ReportError):
        write(sample_report(), blocker / "sub", ("html",))
    with pytest.raises(ReportError):
        write(sample_report(), blocker / "sub", ("junit",))
    with pytest.raises(ReportError):
        write(sample_report(), blocker / "sub", ("markdown",))
