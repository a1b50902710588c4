"""The harness against flooding servers, and the reference server's idle connections.

Run with ``.venv/bin/python -m bench bench_hostile``.

**Floods.** Each flooding peer of :mod:`tests.peers.hostile` (empty continuation frames,
pings, close frames, a 2^63-1 byte frame of zeros) runs in its own process; this
process runs :data:`CASES` against it with the default timers, all of them at once
(``-j`` = the number of cases), twice. For each run it measures:

* harness memory per case in flight: the peak of this process's resident set size
  (``VmRSS``, sampled every 20 ms) above its size just before the run, divided by the
  cases in flight; goal at most 64 MB;
* report size per case: the JSON and HTML files of one case, the largest; goal at most
  1 MB;
* timer lateness: a probe timer re-armed every 20 ms on the run's event loop, the
  worst delay past its due time (the case timers share that loop); goal at most 0.5 s;
* the verdicts, which must be the same in both runs.

**Idle connections.** :data:`IDLE` idle connections opened to the reference server and
to the ``websockets`` server, one after the other in the same run: how many each still
holds a second later, and its resident memory growth per connection (see
:func:`bench.bench_echo.idle_connections`).
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import sys
import tempfile
import time

from bench.bench_echo import _raise_fd_limit, _rss_kib, idle_connections
from wsconform.cases import catalog
from wsconform.harness.commands.conformance import listening_process
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.model import Report, case_file_name
from wsconform.harness.report.render import write_reports
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.scheduler import run_cases

__all__ = ["main"]

FLOODS = ("endless-fragments", "ping-flood", "close-storm", "huge-length")
#: Sixteen cases (the default ``-j`` of a 4-core machine) whose killAfter or closeAfter
#: is 1 or 2 s.
CASES = (
    "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.2.1", "1.2.2", "1.2.3", "1.2.4",
    "2.1", "2.2", "2.3", "2.6", "3.1", "3.2", "5.1", "7.1.1",
)  # fmt: skip
IDLE = 10_000

GOAL_MEMORY_MB = 64.0
GOAL_REPORT_MB = 1.0
GOAL_LATENESS = 0.5

_SAMPLE = 0.02
_AGENT = "flood"


class _Probe:
    """Samples the resident set size and the lateness of a timer, every 20 ms."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.peak_kib = _rss_kib_self()
        self.lateness = 0.0
        self._due = 0.0
        self._handle: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self._arm()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()

    def _arm(self) -> None:
        self._due = self.loop.time() + _SAMPLE
        self._handle = self.loop.call_at(self._due, self._fire)

    def _fire(self) -> None:
        self.lateness = max(self.lateness, self.loop.time() - self._due)
        self.peak_kib = max(self.peak_kib, _rss_kib_self())
        self._arm()


def _rss_kib_self() -> int:
    return _rss_kib(os.getpid())


async def _run(url: str) -> tuple[Report, float, float]:
    """Run :data:`CASES` at once; return the report, memory per case (MB), lateness (s)."""
    cases = [catalog.get(case_id) for case_id in CASES]
    probe = _Probe()
    before = _rss_kib_self()
    probe.peak_kib = before
    probe.start()
    try:
        report = await run_cases(
            Target(url),
            cases,
            agent=_AGENT,
            jobs=len(cases),
            options=RunOptions(),
            run_index=catalog.run_index,
        )
    finally:
        probe.stop()
    per_case = (probe.peak_kib - before) / 1024 / len(cases)
    return report, per_case, probe.lateness


def _report_size(report: Report) -> float:
    """The largest JSON plus HTML of one case, in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp)
        write_reports(Collection.of(report, out), out, ("json", "html"))
        sizes = [
            sum(
                (out / case_file_name(_AGENT, case_id, ext)).stat().st_size
                for ext in ("json", "html")
            )
            for case_id in CASES
            if report.get(_AGENT, case_id) is not None
        ]
    return max(sizes, default=0) / 2**20


def _verdicts(report: Report) -> dict[str, tuple[str, str]]:
    return {
        r.case_id: (str(r.verdicts.behavior), str(r.verdicts.behavior_close))
        for r in report.results(_AGENT)
    }


def _floods() -> None:
    print(
        f"\nflooding peers, {len(CASES)} cases at once, two runs each "
        f"(goals: <= {GOAL_MEMORY_MB:g} MB per case, <= {GOAL_REPORT_MB:g} MB of report per "
        f"case, timers <= {GOAL_LATENESS:g} s late, same verdicts)"
    )
    print(
        f"{'peer':>18} {'run':>3} {'MB/case':>8} {'report MB':>10} {'late s':>7} "
        f"{'errors':>6} {'wall s':>7}  verdicts"
    )
    for name in FLOODS:
        command = [sys.executable, "-m", "tests.peers.hostile", name]
        with listening_process(command, f"the {name} peer") as url:
            runs = []
            for run in (1, 2):
                began = time.monotonic()
                report, per_case, late = asyncio.run(_run(url))
                wall = time.monotonic() - began
                size = _report_size(report)
                runs.append(_verdicts(report))
                counts: dict[tuple[str, str], int] = {}
                for pair in runs[-1].values():
                    counts[pair] = counts.get(pair, 0) + 1
                shown = ", ".join(f"{b}/{c} x{n}" for (b, c), n in sorted(counts.items()))
                marks = (
                    f"{per_case:>8.1f} {size:>10.3f} {late:>7.3f} {len(report.errors):>6} "
                    f"{wall:>7.1f}  {shown}"
                )
                print(f"{name:>18} {run:>3} {marks}", flush=True)
                missed = [
                    label
                    for label, ok in (
                        ("memory", per_case <= GOAL_MEMORY_MB),
                        ("report", size <= GOAL_REPORT_MB),
                        ("lateness", late <= GOAL_LATENESS),
                    )
                    if not ok
                ]
                if missed:
                    print(f"{'':>18}     MISSED: {', '.join(missed)}", flush=True)
            same = runs[0] == runs[1]
            print(f"{'':>18}     same verdicts in both runs: {'ok' if same else 'MISSED'}")


def _idle() -> None:
    print(f"\nidle connections ({IDLE:,} opened, held a second later), resident KiB per connection")
    print(f"{'server':>12} {'held':>7} {'KiB/conn':>9}")
    figures: dict[str, float] = {}
    for kind in ("ours", "websockets"):
        per_connection, held = idle_connections(kind, IDLE, compression=False)
        figures[kind] = per_connection
        verdict = "ok" if held == IDLE else "MISSED"
        print(f"{kind:>12} {held:>7} {per_connection:>9.1f}  {verdict}", flush=True)
    print(f"{'ours/theirs':>12} {'':>7} {figures['ours'] / figures['websockets']:>8.2f}x")


def main() -> None:
    """Print the flood table and the idle-connection table."""
    _raise_fd_limit(IDLE * 2 + 256)
    started = time.monotonic()
    _floods()
    _idle()
    print(f"\n(bench_hostile took {time.monotonic() - started:.0f} s)")
