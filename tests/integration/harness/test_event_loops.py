"""uvloop and asyncio's own loop give the same verdicts, on either side.

The reference server runs under each loop (``WSCONFORM_LOOP`` in its environment) and
the tester under each (reference/asyncio/loop.py): every pairing must give the verdicts
of the plain asyncio pairing, for cases whose verdicts hang on a timer, on write
boundaries (chopped and sync writes, 9.5.x) or on compression (12.x, 13.x).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from collections.abc import Iterator

import pytest

from tests.integration.harness.test_jobs import FIELDS, TIMED
from tests.peers.running import AGENT
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.report.json_report import case_json
from wsconform.harness.report.model import Report
from wsconform.harness.runner import data
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.scheduler import run_cases
from wsconform.harness.targets.command import PORT_PLACEHOLDER, CommandTarget
from wsconform.reference.asyncio import loop

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed"
)

COMMAND = [
    sys.executable, "-m", "wsconform.harness.cli", "reference-server",
    "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER,
]  # fmt: skip

CASES = [*TIMED, "5.6", "9.1.1", "9.5.1", "9.6.6", "9.7.1", "12.1.1", "13.3.2"]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """The reference server once under each loop: loop name to URL."""
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for name in loop.LOOPS:
            server = CommandTarget(COMMAND, env={loop.ENV_VAR: name}, name=f"reference ({name})")
            stack.callback(server.stop)
            server.start(unit(20))
            urls[name] = server.url
        yield urls


def verdicts(url: str, tester_loop: str) -> dict[str, tuple[object, ...]]:
    cases = [catalog.get(case_id) for case_id in CASES]
    options = RunOptions(testdata=data.testdata_loader())

    async def bounded() -> Report:
        async with asyncio.timeout(unit(120)):
            return await run_cases(Target(url), cases, agent=AGENT, options=options)

    report = loop.run(bounded(), name=tester_loop)
    assert report.errors == []
    return {
        result.case_id: tuple(case_json(result)[name] for name in FIELDS)
        for result in report.results(AGENT)
    }


@pytest.fixture(scope="module")
def baseline(servers: dict[str, str]) -> dict[str, tuple[object, ...]]:
    """The verdicts with asyncio's loop on both sides."""
    found = verdicts(servers["asyncio"], "asyncio")
    assert sorted(found) == sorted(CASES)
    return found


@pytest.mark.parametrize(
    ("server_loop", "tester_loop"),
    [("uvloop", "asyncio"), ("asyncio", "uvloop"), ("uvloop", "uvloop")],
)
def test_uvloop_on_either_side_gives_the_same_verdicts(
    servers: dict[str, str],
    baseline: dict[str, tuple[object, ...]],
    server_loop: str,
    tester_loop: str,
) -> None:
    assert verdicts(servers[server_loop], tester_loop) == baseline
