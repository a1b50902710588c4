"""``wsconform conformance``: the job behind ``make test-conformance``.

It will start the reference server, run the whole catalog against it (and the
reference client against the harness acting as server), and write ``reports/``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register", "run"]

MISSING = "the case runner for servers (issue 4: `wsconform test-server`)"


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "conformance",
        help="run the whole catalog against the reference server and client",
    )
    parser.add_argument("--outdir", default="reports", help="where reports are written")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print(f"wsconform conformance: not available yet: missing {MISSING}.", file=sys.stderr)
    return 2
