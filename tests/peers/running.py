"""Running catalog cases through the real runner and checking what the report says.

Tests state what they expect per case as :class:`Expect` rows (Autobahn's verdict
strings and per-case JSON fields such as ``closedByMe``), run the cases with
:func:`run_cases_at` or :func:`run_peer` (real sockets, the real scheduler, several
cases at once), and assert that :func:`mismatches` is empty; each mismatch names the
case, the field, the value expected and the value found, with the result texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.report.json_report import case_json
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.scheduler import run_cases

from .base import PeerConnection, serve_peer

__all__ = [
    "AGENT",
    "Expect",
    "expect",
    "in_thread",
    "mismatches",
    "run",
    "run_cases_at",
    "run_peer",
    "verdict_counts",
]

#: The agent name of every run here.
AGENT = "peer"

T = TypeVar("T")


@dataclasses.dataclass(frozen=True, slots=True)
class Expect:
    """What one case's record must say: the two verdicts and some JSON fields."""

    behavior: str
    behavior_close: str
    fields: Mapping[str, object] = dataclasses.field(default_factory=dict)


def expect(behavior: str, behavior_close: str, **fields: object) -> Expect:
    """An :class:`Expect`; ``fields`` use the per-case JSON names (``closedByMe=True``)."""
    return Expect(behavior, behavior_close, fields)


def run(coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
    """Run ``coroutine`` in a fresh event loop, for at most ``timeout`` seconds."""

    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coroutine

    return asyncio.run(bounded())


async def run_cases_at(
    url: str,
    case_ids: Iterable[str],
    *,
    timeouts: Timeouts | None = None,
    jobs: int = 16,
    testdata: Callable[[str], bytes] | None = None,
) -> Report:
    """Run the cases ``case_ids`` against ``url``, ``jobs`` at a time; return the report."""
    cases = [catalog.get(case_id) for case_id in case_ids]
    options = RunOptions(timeouts=timeouts or Timeouts(), testdata=testdata)
    return await run_cases(
        Target(url), cases, agent=AGENT, jobs=jobs, options=options, run_index=catalog.run_index
    )


async def run_peer(
    peer: type[PeerConnection],
    case_ids: Iterable[str],
    *,
    timeouts: Timeouts | None = None,
    jobs: int = 16,
) -> Report:
    """Serve ``peer`` on a free port and run the cases against it."""
    async with serve_peer(peer) as url:
        return await run_cases_at(url, case_ids, timeouts=timeouts, jobs=jobs)


def mismatches(report: Report, expected: Mapping[str, Expect]) -> list[str]:
    """Every difference between the report and ``expected``, one line each."""
    found: list[str] = [f"harness error: {e.case_id}: {e.message}" for e in report.errors]
    for case_id, want in expected.items():
        result = report.get(AGENT, case_id)
        if result is None:
            found.append(f"{case_id}: no result")
            continue
        record = case_json(result)
        wanted: dict[str, object] = {
            "behavior": want.behavior,
            "behaviorClose": want.behavior_close,
            **want.fields,
        }
        for name, value in wanted.items():
            if name not in record:
                found.append(f"{case_id}: the record has no field {name!r}")
            elif record[name] != value:
                found.append(
                    f"{case_id}: {name} is {record[name]!r}, expected {value!r}"
                    f" (result: {record['result']!r}; resultClose: {record['resultClose']!r})"
                )
    return found


def verdict_counts(report: Report) -> dict[tuple[str, str], int]:
    """How many results have each (behavior, behaviorClose) pair."""
    counts: dict[tuple[str, str], int] = {}
    for result in report.results(AGENT):
        key = (str(result.verdicts.behavior), str(result.verdicts.behavior_close))
        counts[key] = counts.get(key, 0) + 1
    return counts


@contextlib.contextmanager
def in_thread(serve: Callable[[], contextlib.AbstractAsyncContextManager[str]]) -> Iterator[str]:
    """Run ``serve()`` (an async context that yields a URL) on an event loop in a thread,
    for a test that runs a command in a subprocess against it; yield the URL."""
    loop = asyncio.new_event_loop()
    ready: asyncio.Future[str] = loop.create_future()
    stop = asyncio.Event()

    async def main() -> None:
        async with serve() as url:
            ready.set_result(url)
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    try:
        yield asyncio.run_coroutine_threadsafe(asyncio.wait_for(ready, 10), loop).result(10)
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(unit(10))
        loop.close()
