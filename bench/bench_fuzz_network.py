"""Network fuzzing conversations per second against the reference server.

Run with ``.venv/bin/python -m bench bench_fuzz_network``. The reference server runs in
its own process (``wsconform reference-server``, as in ``make test-conformance``); the
fuzzer (:func:`~wsconform.harness.fuzz.runner.fuzz_target`) sends it generated
conversations, each on its own connection, for a fixed time with ``-j 1`` and then
``-j 4``, on the same server in the same run. The figure is conversations per second
(generation, connection, opening handshake, the conversation, the closing handshake
and the oracle's judgement, all included); a mismatch or a harness error is printed,
as the reference server must pass.
"""

from __future__ import annotations

import os
import time

from hypothesis.database import InMemoryExampleDatabase

from wsconform.harness.commands.conformance import reference_server
from wsconform.harness.fuzz.runner import FuzzResult, FuzzSettings, fuzz_target

__all__ = ["main"]

#: Seconds of generation per measurement, and the ``-j`` values measured.
SECONDS = 10.0
JOBS = (1, 4)
SEED = 12


def _run(url: str, jobs: int) -> FuzzResult:
    fuzz_settings = FuzzSettings(
        seed=SEED,
        max_examples=100_000,
        time_budget=SECONDS,
        shrink_budget=5.0,
        jobs=jobs,
        database=InMemoryExampleDatabase(),
    )
    return fuzz_target(url, fuzz_settings)


def main() -> None:
    """Print one line per ``-j``."""
    started = time.perf_counter()
    print(f"{'jobs':<6} {'conversations':>13} {'seconds':>8} {'per s':>7}  verdict")
    with reference_server() as url:
        for jobs in JOBS:
            result = _run(url, jobs)
            if result.error is not None:
                verdict = f"harness error: {result.error.message}"
            elif result.finding is not None:
                verdict = f"MISMATCH {result.finding.case_id}"
            else:
                verdict = "no mismatch"
            print(
                f"-j {jobs:<3} {result.examples:>13} {result.seconds:>8.1f} "
                f"{result.rate:>7.1f}  {verdict}",
                flush=True,
            )
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"\n({elapsed:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
