"""``wsconform test-server``: what its help promises."""

from __future__ import annotations

import argparse
import os
import pathlib
import re

from wsconform.harness.cli import build_parser
from wsconform.harness.commands import test_server
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
