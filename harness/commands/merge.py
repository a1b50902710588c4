"""``wsconform merge DIR... --outdir OUT``: join the reports of shards into one.

Each DIR is an output directory that ``test-server --shard I/N`` (or any run) wrote.
Their per-case files (JSON, HTML) and target logs are copied into OUT, their
``index.json`` entries and harness errors are joined (a later DIR wins for the same
agent and case), and then OUT is rendered as any run's output is: the one
:class:`~wsconform.harness.report.collection.Collection` of OUT, every format, the
summary and the CI gate on the merged result (``docs/ci.md``). Exit status as for
``test-server``: 0, 1 when a case fails the gate, 2 on bad usage or a harness error.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
from typing import Any

from wsconform.harness.gate import add_gate_arguments, apply_gate
from wsconform.harness.report.atomic import write_text
from wsconform.harness.report.collection import ERRORS_FILE, INDEX_FILE
from wsconform.harness.report.model import Report
from wsconform.harness.report.render import add_report_arguments

from .test_server import UsageError, check_baseline, check_outdir, finish

__all__ = ["merge_dirs", "register", "run"]

_COPIED = ("*_case_*.json", "*_case_*.html", "*_target.log")


def register(subparsers: Any) -> None:
    """Add the ``merge`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "merge",
        help="join the reports of several runs (shards) into one",
        description="Join the report directories DIR... into OUTDIR (index.json, HTML, "
        "JUnit, Markdown) and apply the CI gate to the merged result.",
    )
    parser.add_argument("dirs", metavar="DIR", nargs="+", help="report directories")
    parser.add_argument("--outdir", required=True, help="where the merged report goes")
    add_report_arguments(parser)
    add_gate_arguments(parser)
    parser.set_defaults(handler=run)


def _read(path: pathlib.Path, default: Any) -> Any:
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a report file ({exc})") from None


def merge_dirs(dirs: list[pathlib.Path], out: pathlib.Path) -> None:
    """Copy the per-case files of ``dirs`` into ``out`` and write the joined index and
    harness errors there (the renderers then read them as ``out``'s earlier runs).

    Raises:
        UsageError: a DIR is not a report directory, or a file cannot be copied.
    """
    index: dict[str, dict[str, Any]] = {}
    errors: list[Any] = []
    for folder in dirs:
        if not (folder / INDEX_FILE).is_file():
            raise UsageError(f"{folder} holds no {INDEX_FILE}: not a report directory")
        part = _read(folder / INDEX_FILE, {})
        found = _read(folder / ERRORS_FILE, [])
        if not isinstance(part, dict) or not isinstance(found, list):
            raise UsageError(f"{folder}: not a report directory of wsconform or Autobahn")
        for agent, cases in part.items():
            if isinstance(cases, dict):
                index.setdefault(agent, {}).update(cases)
        errors += found
        if folder.resolve() == out.resolve():
            continue
        try:
            for pattern in _COPIED:
                for path in folder.glob(pattern):
                    shutil.copyfile(path, out / path.name)
        except OSError as exc:
            raise UsageError(f"cannot copy {folder} into {out}: {exc.strerror or exc}") from None
    write_text(out / INDEX_FILE, json.dumps(index, indent=3, sort_keys=True))
    write_text(out / ERRORS_FILE, json.dumps(errors, indent=3))


def run(args: argparse.Namespace) -> int:
    """The ``merge`` command; returns the exit status."""
    try:
        out = check_outdir(args.outdir)
        check_baseline(args)
        merge_dirs([pathlib.Path(d) for d in args.dirs], out)
    except UsageError as exc:
        print(f"wsconform merge: {exc}", file=sys.stderr, flush=True)
        return 2
    collection = finish(Report(), out, args.formats, 0.0)
    if collection is None:
        return 2
    return apply_gate(collection, args)
