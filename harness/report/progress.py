"""Live progress of a run: a ``rich`` bar on a terminal, one line per case otherwise.

A :class:`RunProgress` takes the runner's events (pass its :meth:`~RunProgress.handle`
as the runner's ``on_event``): on a terminal it shows cases done out of the total, the
cases running now, how many failed so far and the time remaining; when the output is a
file or a CI log it prints one line per finished case, with its verdict, so the log is
readable and greppable.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from wsconform.harness.gate import result_fails

from .model import CaseFinished, CaseStarted, HarnessErrorRaised, RunnerEvent

__all__ = ["RunProgress"]

#: Running cases named on the bar at most.
_RUNNING_SHOWN = 4


class RunProgress:
    """Progress of ``total`` cases, shown on ``stream`` (default stdout).

    ``live`` forces the terminal bar on or off (default: on when ``stream`` is a
    terminal). ``quiet`` shows neither the bar nor a line per case, only the cases that
    fail (:func:`~wsconform.harness.gate.result_fails`) and harness errors as they
    happen. Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        total: int,
        *,
        stream: TextIO | None = None,
        live: bool | None = None,
        quiet: bool = False,
        console: Console | None = None,
    ) -> None:
        self.total = total
        self.stream = stream if stream is not None else sys.stdout
        self.quiet = quiet
        self.live = not quiet and (self.stream.isatty() if live is None else live)
        self.done = 0
        self.failing = 0
        self.errors = 0
        self.running: dict[tuple[str, str], float] = {}
        self._console = console or Console(file=self.stream, highlight=False)
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    # -- lifecycle

    def start(self) -> None:
        """Show the bar (terminal mode); nothing to do in line mode."""
        if not self.live or self._progress is not None:
            return
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]cases"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failing]} failing[/red]"),
            TextColumn("{task.fields[errors]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("[dim]{task.fields[running]}"),
            console=self._console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "cases", total=self.total, failing=0, errors="", running=""
        )
        self._progress.start()

    def stop(self) -> None:
        """Remove the live display (the final bar stays on screen)."""
        if self._progress is not None:
            self._refresh()
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> RunProgress:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- events

    def handle(self, event: RunnerEvent) -> None:
        """Take one runner event (the runner's ``on_event`` callback)."""
        if isinstance(event, CaseStarted):
            self.running[(event.agent, event.case_id)] = time.monotonic()
        elif isinstance(event, CaseFinished):
            result = event.result
            self.running.pop((result.agent, result.case_id), None)
            self.done += 1
            failing = result_fails(result)
            self.failing += failing
            verdicts = result.verdicts
            if failing or not self.quiet:
                self._line(
                    f"{result.agent} {result.case_id} {result.outcome.label} (behavior "
                    f"{verdicts.behavior}, close {verdicts.behavior_close}) "
                    f"{result.duration_ms} ms"
                )
        elif isinstance(event, HarnessErrorRaised):
            error = event.error
            if error.case_id is not None:
                self.running.pop((error.agent, error.case_id), None)
                self.done += 1
            self.errors += 1
            where = f"{error.case_id} " if error.case_id is not None else ""
            self._line(f"{error.agent} {where}ERROR (harness, no verdict): {error.message}")
        self._refresh()

    def _line(self, text: str) -> None:
        if self.live:
            return
        width = len(str(self.total))
        print(f"[{self.done:>{width}}/{self.total}] {text}", file=self.stream, flush=True)

    def _refresh(self) -> None:
        if self._progress is None or self._task is None:
            return
        oldest = sorted(self.running.items(), key=lambda item: item[1])
        names = [case_id for (_, case_id), _ in oldest[:_RUNNING_SHOWN]]
        more = len(oldest) - len(names)
        running = ("running " + " ".join(names) + (f" +{more}" if more else "")) if names else ""
        errors = f"[bold red]{self.errors} harness error(s)" if self.errors else ""
        self._progress.update(
            self._task,
            completed=self.done,
            failing=self.failing,
            errors=errors,
            running=running,
        )
