"""Wall time of a full conformance run against the reference server, and its floor.

The full run against the reference server is the daily CI job of our users, so its wall
time on this 2-core machine is a product figure. Measured in one run:

* sections 1-10 (301 cases) against the reference server, with the default ``-j``;
  goal: at most 15 s;
* sections 12-13 (216 permessage-deflate cases) the same way;
* the zlib floor of 12-13: the time the deflate back end of both sides (zlib-ng when
  installed, stdlib zlib otherwise) alone takes, in this process, to compress and
  decompress every message those cases send, once, at zlib's default level with a
  15-bit window and context takeover (what a server must at least do per message:
  inflate what it receives, deflate its echo). Goal: 12-13 within 2x of it.

The server runs in its own process (``wsconform reference-server``), as in
``make test-conformance``; the tester shares the machine's two cores with it.
"""

from __future__ import annotations

import asyncio
import os
import time
import zlib
from collections.abc import Iterator, Sequence

from wsconform.cases.model import Case, EchoLoop, SendFrame, SendMessage
from wsconform.harness.commands.conformance import AGENT, reference_server
from wsconform.harness.commands.test_server import select_cases, test_server
from wsconform.harness.gate import evaluate
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.exemptions import accepted
from wsconform.harness.runner.scheduler import DEFAULT_JOBS
from wsconform.harness.verdicts import EchoLoopJudge
from wsconform.reference.protocol.extensions import codec

DEFLATE_SECTIONS = ("12.*", "13.*")
GOAL_1_10 = 15.0
GOAL_FLOOR_RATIO = 2.0


def _run(url: str, cases: Sequence[Case], options: RunOptions) -> tuple[float, Report]:
    start = time.monotonic()
    report, _ = asyncio.run(
        test_server(
            Target(url), cases, agent=AGENT, jobs=DEFAULT_JOBS, options=options, verbose=False
        )
    )
    return time.monotonic() - start, report


def _verdicts(report: Report) -> str:
    # The conformance job's own gate: OK, INFORMATIONAL where the case is informational.
    results = report.results()
    gate = evaluate(report, Outcome.INFORMATIONAL, accepted(AGENT), compare=False)
    passed = len(results) - len(gate.failing)
    errors = f", {len(report.errors)} harness errors" if report.errors else ""
    return f"{passed}/{len(results)} pass{errors}"


def loop_messages(case: Case, options: RunOptions) -> Iterator[bytes]:
    """Every payload the tester sends in the echo loop of a 12/13 case, in order."""
    loop = next(step for step in case.steps if isinstance(step, EchoLoop))
    assert loop.data_file is not None and options.testdata is not None
    judge = EchoLoopJudge(loop, options.testdata(loop.data_file))
    step: SendFrame | SendMessage | None = judge.start()[1]
    while step is not None:
        assert isinstance(step, SendMessage)
        yield step.payload
        step = judge.on_message(step.payload, loop.binary).send


def zlib_floor(cases: Sequence[Case], options: RunOptions) -> tuple[float, int]:
    """Seconds the deflate back end both sides use (:func:`codec.current`: zlib-ng when
    installed) takes to deflate and inflate every loop message once; and the bytes."""
    seconds = 0.0
    total = 0
    clock = time.perf_counter
    backend = codec.current()
    for case in cases:
        compressor = backend.compressor(15, level=6)
        decompressor = backend.decompressor(15)
        for payload in loop_messages(case, options):
            start = clock()
            data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
            decompressor.decompress(data)
            seconds += clock() - start
            total += len(payload)
    return seconds, total


def main() -> None:
    """Print the wall times, the floor and the ratios against the goals."""
    options = RunOptions(testdata=testdata_loader())
    basic = select_cases(None, list(DEFLATE_SECTIONS))
    deflate = select_cases(list(DEFLATE_SECTIONS), None)
    print(f"load average {os.getloadavg()[0]:.2f}; -j {DEFAULT_JOBS}", flush=True)
    with reference_server() as url:
        wall_basic, report_basic = _run(url, basic, options)
        verdict = "ok" if wall_basic <= GOAL_1_10 else "MISSED"
        print(
            f"sections 1-10:  {len(basic):>3} cases {wall_basic:7.1f} s wall   "
            f"goal <= {GOAL_1_10:g} s {verdict}   ({_verdicts(report_basic)})",
            flush=True,
        )
        wall_deflate, report_deflate = _run(url, deflate, options)
    floor, total = zlib_floor(deflate, options)
    ratio = wall_deflate / floor
    verdict = "ok" if ratio <= GOAL_FLOOR_RATIO else "MISSED"
    print(
        f"sections 12-13: {len(deflate):>3} cases {wall_deflate:7.1f} s wall   "
        f"({_verdicts(report_deflate)})\n"
        f"zlib floor of 12-13: {floor:.1f} s to deflate and inflate {total / 2**20:.0f} MiB "
        f"once ({codec.current().name}, level 6, 15-bit window)\n"
        f"12-13 wall / floor: {ratio:.2f}x   goal <= {GOAL_FLOOR_RATIO:g}x {verdict}",
        flush=True,
    )


if __name__ == "__main__":
    main()
