"""Live progress: one line per case off a terminal, a rich bar on one."""

from __future__ import annotations

import io

from rich.console import Console

from wsconform.harness.report import progress
from wsconform.harness.report.model import (
    CaseFinished,
    CaseStarted,
    HarnessError,
    HarnessErrorRaised,
)
from wsconform.harness.report.progress import RunProgress

from .sample import BAD, T0, sample_report


def _events() -> list[object]:
    report = sample_report()
    events: list[object] = []
    for case_id in ("1.1.1", "1.1.2", "3.2"):
        result = report.get(BAD, case_id)
        assert result is not None
        events += [CaseStarted(BAD, case_id, result.run_index, T0), CaseFinished(result)]
    events.append(CaseStarted(BAD, "5.1", 45, T0))
    events.append(HarnessErrorRaised(HarnessError(BAD, "5.1", "connection refused")))
    events.append(HarnessErrorRaised(HarnessError(BAD, None, "2 cases not run")))
    return events


def test_exports() -> None:
    for name in progress.__all__:
        assert hasattr(progress, name), name


def test_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    with RunProgress(10, stream=stream) as bar:
        assert not bar.live
        for event in _events():
            bar.handle(event)  # type: ignore[arg-type]
    lines = stream.getvalue().splitlines()
    assert lines == [
        f"[ 1/10] {BAD} 1.1.1 OK (behavior OK, close OK) 12 ms",
        f"[ 2/10] {BAD} 1.1.2 FAILED (behavior FAILED, close OK) 12 ms",
        f"[ 3/10] {BAD} 3.2 NON-STRICT (behavior NON-STRICT, close OK) 12 ms",
        f"[ 4/10] {BAD} 5.1 ERROR (harness, no verdict): connection refused",
        f"[ 4/10] {BAD} ERROR (harness, no verdict): 2 cases not run",
    ]
    assert (bar.done, bar.failing, bar.errors, bar.running) == (4, 1, 2, {})


def test_live_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=160)
    bar = RunProgress(10, stream=stream, live=True, console=console)
    bar.start()
    events = _events()
    bar.handle(events[0])  # type: ignore[arg-type]
    assert list(bar.running) == [(BAD, "1.1.1")]
    for event in events[1:]:
        bar.handle(event)  # type: ignore[arg-type]
    bar.stop()
    shown = stream.getvalue()
    assert "4/10" in shown and "1 failing" in shown and "2 harness error(s)" in shown
    assert f"{BAD} 1.1.1 OK" not in shown  # no per-case lines under the bar


def test_quiet_shows_only_failures_and_harness_errors() -> None:
    stream = io.StringIO()
    with RunProgress(10, stream=stream, live=True, quiet=True) as bar:
        assert not bar.live  # quiet wins over a terminal
        for event in _events():
            bar.handle(event)  # type: ignore[arg-type]
    assert stream.getvalue().splitlines() == [
        f"[ 2/10] {BAD} 1.1.2 FAILED (behavior FAILED, close OK) 12 ms",
        f"[ 4/10] {BAD} 5.1 ERROR (harness, no verdict): connection refused",
        f"[ 4/10] {BAD} ERROR (harness, no verdict): 2 cases not run",
    ]
