"""Sections 12 and 13 give the same verdicts whatever raw-DEFLATE back end runs them.

Both ends of permessage-deflate go through one back end
(reference/protocol/extensions/codec.py): zlib-ng when installed, stdlib zlib otherwise.
For every installed back end the reference server runs in its own process with
``WSCONFORM_DEFLATE`` naming it, and the tester selects the same one in this process;
the verdicts of each case must be identical across back ends, and all OK.

Every subsection runs (12.1-12.5: the five test data files; 13.1-13.7: the seven offer
and accept rules, window bits 9 and 15, with and without context takeover, see
docs/autobahn.md sections 6.6-6.8), each as its own test item, with three cases of it:
16-byte messages, 8 KiB messages (larger than a 9-bit window, so back references are cut
by the window) and 8 KiB messages in 256-byte fragments. The larger messages of each
subsection (32 KiB-128 KiB, 1,000 of each) add only more of the same deflate work and
would cost minutes of suite time per back end; `make bench` runs those.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import pytest

from tests.peers.running import AGENT, run
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.report.json_report import case_json
from wsconform.harness.runner import data
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.scheduler import run_cases
from wsconform.harness.targets.command import PORT_PLACEHOLDER, CommandTarget
from wsconform.reference.protocol.extensions import codec

BACKENDS = [backend.name for backend in codec.available()]

SUBSECTIONS = [f"12.{n}" for n in range(1, 6)] + [f"13.{n}" for n in range(1, 8)]

#: 16-byte messages, 8 KiB messages, 8 KiB messages in 256-byte fragments.
CASES_OF_EACH = (1, 6, 11)

COMMAND = [
    sys.executable, "-m", "wsconform.harness.cli", "reference-server",
    "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER,
]  # fmt: skip

FIELDS = ("behavior", "behaviorClose", "remoteCloseCode", "wasClean", "result")


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """The reference server once per installed back end: back end name to URL."""
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        for name in BACKENDS:
            server = CommandTarget(COMMAND, env={codec.ENV_VAR: name}, name=f"reference ({name})")
            stack.callback(server.stop)
            server.start(unit(20))
            urls[name] = server.url
        yield urls


@pytest.fixture
def restore_backend() -> Iterator[None]:
    before = codec.current().name
    yield
    codec.select(before)


def verdicts(url: str, backend: str, case_ids: list[str]) -> dict[str, tuple[object, ...]]:
    """Run ``case_ids`` against ``url`` with the tester on ``backend``."""
    assert codec.select(backend).name == backend
    cases = [catalog.get(case_id) for case_id in case_ids]
    options = RunOptions(testdata=data.testdata_loader())
    report = run(run_cases(Target(url), cases, agent=AGENT, options=options), unit(60))
    assert report.errors == []
    return {
        result.case_id: tuple(case_json(result)[name] for name in FIELDS)
        for result in report.results(AGENT)
    }


def test_both_back_ends_are_installed_here() -> None:
    # zlib-ng is a dependency; without it this module would compare zlib with itself.
    assert BACKENDS == ["zlib-ng", "zlib"]


@pytest.mark.usefixtures("restore_backend")
@pytest.mark.parametrize("subsection", SUBSECTIONS)
def test_verdicts_do_not_depend_on_the_back_end(servers: dict[str, str], subsection: str) -> None:
    case_ids = [f"{subsection}.{n}" for n in CASES_OF_EACH]
    found = {name: verdicts(servers[name], name, case_ids) for name in BACKENDS}
    first = found[BACKENDS[0]]
    assert sorted(first) == sorted(case_ids)
    assert all(fields[:2] == ("OK", "OK") for fields in first.values()), first
    for name in BACKENDS[1:]:
        assert found[name] == first, name
