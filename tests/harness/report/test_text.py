"""The terminal summary."""

from __future__ import annotations

import io

from rich.console import Console

from wsconform.harness.report import text
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.model import HarnessError, Report
from wsconform.harness.report.text import MAX_LISTED, print_summary, text_summary

from .sample import BAD, GOOD, sample_report


def test_exports() -> None:
    for name in text.__all__:
        assert hasattr(text, name), name


def test_text_summary() -> None:
    out = text_summary(Collection.of(sample_report())).splitlines()
    assert out[0] == (
        f"{BAD}: 9 cases: 2 OK, 1 INFORMATIONAL, 1 UNIMPLEMENTED, 1 NON-STRICT, 3 FAILED, 1 ERROR"
    )
    assert any(line.strip().startswith("1 Framing") and "1 FAILED" in line for line in out)
    failed = [line for line in out if line.strip().startswith("1.1.2")]
    assert failed and "FAILED" in failed[0] and "but a conforming peer sends" in failed[0]
    assert not any(line.strip().startswith("1.1.1 ") for line in out)
    assert f"{GOOD}: 4 cases: 4 OK" in out
    assert out[-1] == f"harness error ({GOOD}): the run was cut short: out of file descriptors"


def test_listing_is_bounded() -> None:
    report = Report()
    for i in range(MAX_LISTED + 3):
        report.add_error(HarnessError(BAD, f"9.{i + 1}", "boom"))
    assert "... and 3 more" in text_summary(Collection.of(report))


def test_print_summary_colours_on_a_terminal() -> None:
    stream = io.StringIO()
    print_summary(
        Collection.of(sample_report()), console=Console(file=stream, force_terminal=True, width=200)
    )
    printed = stream.getvalue()
    assert "\x1b[" in printed and "FAILED" in printed
    plain = io.StringIO()
    print_summary(
        Collection.of(sample_report()), console=Console(file=plain, force_terminal=False, width=200)
    )
    assert "\x1b[" not in plain.getvalue()
