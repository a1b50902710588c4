"""``wsconform test-server``: what its help promises, its up-front checks and the marker
of an interrupted run."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import pathlib
import re
import signal

import pytest

from wsconform.cases import catalog
from wsconform.harness.cli import build_parser
from wsconform.harness.commands import test_server
from wsconform.harness.commands.test_server import (
    UsageError,
    check_timer,
    check_tls,
    interrupted_error,
    interruptible,
)
from wsconform.harness.report.model import CaseStarted, Report
from wsconform.harness.runner.config import Target
from wsconform.harness.runner.scheduler import DEFAULT_JOBS

README = pathlib.Path(__file__).parents[3] / "README.md"
#: How the README and ``--help`` describe the default of ``-j``.
JOBS_RULE = "4 per core, at most 16"


def _help() -> str:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return " ".join(action.choices["test-server"].format_help().split())


def test_exports() -> None:
    for name in test_server.__all__:
        assert hasattr(test_server, name), name


def test_jobs_default_is_described_as_computed() -> None:
    assert min(16, 4 * (os.cpu_count() or 1)) == DEFAULT_JOBS
    assert f"(default: {JOBS_RULE}, so {DEFAULT_JOBS} here;" in _help()


def test_readme_describes_the_jobs_default_the_same_way() -> None:
    row = next(line for line in README.read_text().splitlines() if line.startswith("| `-j N`"))
    assert re.search(rf"\(default: {JOBS_RULE}[;,)]", row), row


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 0.0, -20.0])
def test_a_timer_that_is_not_finite_and_positive_is_refused(value: float) -> None:
    with pytest.raises(UsageError, match="--close-timeout must be a finite number"):
        check_timer("--close-timeout", value)


def test_a_finite_positive_timer_is_kept() -> None:
    assert check_timer("--open-timeout", 0.25) == 0.25


def test_tls_context_is_built_up_front(tmp_path: pathlib.Path) -> None:
    assert check_tls(Target("ws://127.0.0.1:9/")) is None
    assert check_tls(Target("wss://127.0.0.1:9/")) is not None
    with pytest.raises(UsageError, match="no such file"):
        check_tls(Target("wss://127.0.0.1:9/", cafile=str(tmp_path / "none.pem")))
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(UsageError, match="not PEM CA certificates"):
        check_tls(Target("wss://127.0.0.1:9/", cafile=str(junk)))
    # A CA file is checked even for ws://, where it would silently be unused.
    with pytest.raises(UsageError):
        check_tls(Target("ws://127.0.0.1:9/", cafile=str(junk)))


def test_interrupted_error_counts_what_finished_and_what_ran() -> None:
    report = Report()
    moment = datetime.datetime.now(datetime.UTC)
    report.handle(CaseStarted("a", "2.1", catalog.run_index("2.1"), moment))
    error = interrupted_error(report, "a", signal.SIGTERM, 5)
    assert error.agent == "a" and error.case_id is None
    assert error.message == (
        "interrupted by SIGTERM: partial report, 0 of 5 cases finished, 5 not finished "
        "(1 running: 2.1)"
    )


def test_interruptible_returns_the_signal_and_restores_the_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)

    async def forever() -> None:
        await asyncio.sleep(60)

    async def main() -> tuple[None, int | None]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, os.kill, os.getpid(), signal.SIGTERM)
        return await interruptible(forever())

    assert asyncio.run(main()) == (None, signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before

    async def quick() -> int:
        return 7

    assert asyncio.run(interruptible(quick())) == (7, None)
