"""The Markdown summary for CI job summaries."""

from __future__ import annotations

import pathlib

from wsconform.harness.report import markdown
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.markdown import MAX_LISTED, markdown_summary
from wsconform.harness.report.model import HarnessError, Report

from .sample import BAD, sample_report, write


def test_exports() -> None:
    for name in markdown.__all__:
        assert hasattr(markdown, name), name


def test_summary_of_the_sample() -> None:
    text = markdown_summary(Collection.of(sample_report()))
    assert text.startswith("## wsconform: failed (3 failed case(s), 2 harness error(s))")
    assert "| BrokenServer/1.0 | 2 | 1 | 1 | 1 | 3 | 1 |" in text
    assert "| 1 Framing | 1/2 OK · 1 FAILED | 2/2 OK |" in text
    assert "| 2 Pings/Pongs | 1/1 OK | not run |" in text
    assert (
        "| BrokenServer/1.0 | [1.1.2](brokenserver_1_0_case_1_1_2.html) | FAILED | "
        "The peer sent text '" in text
    )
    assert "[5.1](brokenserver_1_0_case_5_1.html) | ERROR | ConnectionResetError" in text
    assert "1.1.1]" not in text  # OK cases are not listed
    assert "out of file descriptors" in text
    assert "[index.html](index.html)" in text


def test_link_base_and_escaping() -> None:
    report = Report()
    report.add_error(HarnessError("a|b", "2.1", "x | y <script> *z*"))
    text = markdown_summary(Collection.of(report), link_base="https://ci.example/r/")
    assert "[2.1](https://ci.example/r/a_b_case_2_1.html)" in text
    assert "x \\| y \\<script\\> \\*z\\*" in text
    assert "| a\\|b |" in text


def test_all_ok_and_the_bound() -> None:
    full = sample_report()
    report = Report()
    ok = full.get(BAD, "1.1.1")
    assert ok is not None
    report.add(ok)
    text = markdown_summary(Collection.of(report))
    assert "## wsconform: passed" in text and "Every case is OK." in text
    many = Report()
    for i in range(MAX_LISTED + 5):
        many.add_error(HarnessError(BAD, f"9.{i + 1}", "boom"))
    text = markdown_summary(Collection.of(many))
    assert text.count("| ERROR | boom |") == MAX_LISTED
    assert "and 5 more" in text


def test_write_markdown(tmp_path: pathlib.Path) -> None:
    path = write(sample_report(), tmp_path, ("markdown",))[0]
    assert path.name == "summary.md" and "## wsconform" in path.read_text()
