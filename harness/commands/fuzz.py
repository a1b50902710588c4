"""``wsconform fuzz URL``: generated conversations against a server, judged by the oracle.

First one probe connection (an unreachable URL or a target that is not a WebSocket
server ends the run with exit 2), then the corpus is replayed: every ``corpus`` case
of the catalog's directories and of ``--corpus`` (:mod:`wsconform.harness.fuzz.corpus`),
on the scheduler like any case. Then :func:`~wsconform.harness.fuzz.runner.fuzz_target`
searches; a mismatch is shrunk, printed as a reproduction, saved to the corpus and is
a case result of the report, which is written like ``test-server``'s (JSON, HTML,
JUnit, Markdown, the terminal summary).

Exit status: 0 no mismatch, 1 a finding or a failing corpus case, 2 bad usage or a
harness error (unreachable target, a target that died, an unwritable directory).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pathlib
import sys
import time
from typing import Any

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    InMemoryExampleDatabase,
)

from wsconform.cases import catalog
from wsconform.cases.exceptions import UnknownCaseError
from wsconform.cases.model import Case
from wsconform.harness.fuzz.corpus import default_corpus, entry_of, load_entries, save, search_path
from wsconform.harness.fuzz.deviations import DEVIATIONS, deviation_of
from wsconform.harness.fuzz.oracle import predict
from wsconform.harness.fuzz.reproduction import reproduction
from wsconform.harness.fuzz.runner import (
    DEFAULT_AGENT,
    FuzzResult,
    FuzzSettings,
    fuzz_target,
    is_mismatch,
)
from wsconform.harness.report.model import Report
from wsconform.harness.report.render import add_report_arguments
from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.scheduler import probe, run_cases
from wsconform.harness.wire.exceptions import WireError

from .case_options import UsageError
from .test_server import check_outdir, check_timer, check_tls, finish

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_OUTDIR",
    "open_database",
    "register",
    "run",
]

DEFAULT_OUTDIR = "reports/fuzz"
DEFAULT_DATABASE = ".wsconform/fuzz-db"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add the ``fuzz`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "fuzz",
        help="fuzz a WebSocket server with generated conversations",
        description=(
            "Send generated conversations to the server at URL, each on its own "
            "connection, and compare its answers with the reference oracle. A mismatch "
            "is shrunk, printed with a command that replays it, and saved to the corpus. "
            "Exit 0 when nothing failed, 1 on a mismatch or a failing corpus case, 2 on "
            "bad usage or a harness error (docs/fuzzing.md)."
        ),
    )
    parser.add_argument("url", metavar="URL", help="ws:// or wss:// URL of the server")
    parser.add_argument("--seed", type=int, help="the search's seed (default: a random one)")
    parser.add_argument(
        "--max-examples",
        type=int,
        default=200,
        help="conversations to generate (default %(default)s; shrinking apart)",
    )
    parser.add_argument(
        "--time-budget",
        type=float,
        metavar="S",
        help="stop generating after S seconds (default: no limit)",
    )
    parser.add_argument(
        "--shrink-budget",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds of shrinking at most after a mismatch (default %(default)s)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="searches at once, each with its own seed and connections (default 1)",
    )
    parser.add_argument(
        "--outdir", default=DEFAULT_OUTDIR, help=f"report directory (default {DEFAULT_OUTDIR})"
    )
    parser.add_argument(
        "--database",
        default=DEFAULT_DATABASE,
        metavar="PATH",
        help=(
            "Hypothesis example database: a directory, ':memory:', 'none', or "
            "'python:MODULE:NAME' for any ExampleDatabase object or factory (default "
            f"{DEFAULT_DATABASE})"
        ),
    )
    parser.add_argument(
        "--corpus",
        metavar="DIR",
        help=(
            "where findings are saved, replayed first with the catalog's corpus "
            "(default: cases/corpus in a source checkout, else .wsconform/corpus)"
        ),
    )
    parser.add_argument(
        "--no-replay", action="store_true", help="do not replay the corpus before fuzzing"
    )
    parser.add_argument(
        "--tolerate",
        action="append",
        default=[],
        choices=sorted(DEVIATIONS),
        help="count mismatches of this known deviation instead of stopping (repeatable)",
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=1.0,
        metavar="S",
        help="how long a case waits for the peer to fail the connection (default 1 s)",
    )
    parser.add_argument("--agent", help=f"name in the reports (default {DEFAULT_AGENT})")
    parser.add_argument("--insecure", action="store_true", help="wss://: do not verify")
    parser.add_argument("--cafile", help="wss://: CA certificates to verify the server with")
    add_report_arguments(parser)
    parser.set_defaults(handler=run)


def open_database(spec: str) -> ExampleDatabase | None:
    """The Hypothesis example database ``--database`` names.

    Raises:
        UsageError: a ``python:`` spec that does not import or is no database.
    """
    if spec.lower() == "none":
        return None
    if spec == ":memory:":
        return InMemoryExampleDatabase()
    if spec.startswith("python:"):
        module_name, _, name = spec.removeprefix("python:").partition(":")
        try:
            found = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError, ValueError) as exc:
            raise UsageError(f"--database {spec}: {exc}") from exc
        database = found() if callable(found) and not isinstance(found, ExampleDatabase) else found
        if not isinstance(database, ExampleDatabase):
            raise UsageError(f"--database {spec}: not a Hypothesis ExampleDatabase")
        return database
    return DirectoryBasedExampleDatabase(spec)


def _fail(message: str) -> int:
    print(f"wsconform fuzz: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _settings(args: argparse.Namespace) -> FuzzSettings:
    """The search settings the options give.

    Raises:
        UsageError: a count below 1 or a timer that is not a positive number.
    """
    if args.max_examples < 1:
        raise UsageError(f"--max-examples must be at least 1, not {args.max_examples}")
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1, not {args.jobs}")
    if args.time_budget is not None:
        check_timer("--time-budget", args.time_budget)
    check_timer("--shrink-budget", args.shrink_budget)
    check_timer("--kill-after", args.kill_after)
    return FuzzSettings(
        seed=args.seed,
        max_examples=args.max_examples,
        time_budget=args.time_budget,
        shrink_budget=args.shrink_budget,
        jobs=args.jobs,
        database=open_database(args.database),
        kill_after=args.kill_after,
        options=RunOptions(timeouts=Timeouts()),
        tolerate=frozenset(args.tolerate),
    )


def _replayed(
    directories: list[pathlib.Path], tolerate: frozenset[str], kill_after: float
) -> tuple[list[Case], int]:
    """The corpus cases to replay against a server, and how many were left out as
    tolerated deviations."""
    entries, problems = load_entries(directories)
    for problem in problems:
        print(f"wsconform fuzz: corpus file left out: {problem}", file=sys.stderr)
    chosen, skipped = [], 0
    for entry in entries:
        if entry.target != "server":
            continue
        conversation = entry.conversation
        if tolerate and deviation_of(conversation, predict(conversation), tolerate):
            skipped += 1
            continue
        chosen.append(entry.case(kill_after=kill_after))
    return sorted(chosen, key=lambda c: c.sort_key), skipped


def _index(case_id: str) -> int:
    try:
        return catalog.run_index(case_id)
    except UnknownCaseError:
        # A new finding: after every case of the catalog.
        return len(catalog.CASES) + 1


def run(args: argparse.Namespace) -> int:
    """The ``fuzz`` command; returns the exit status."""
    try:
        fuzz_settings = _settings(args)
        target = Target(args.url, verify_tls=not args.insecure, cafile=args.cafile)
        check_tls(target)
        outdir = check_outdir(args.outdir)
        corpus_dir = pathlib.Path(args.corpus) if args.corpus else default_corpus()
    except (UsageError, WireError, ValueError) as exc:
        return _fail(str(exc))
    agent = args.agent or DEFAULT_AGENT
    begin = time.monotonic()
    report = Report()
    options = fuzz_settings.options
    try:
        server = asyncio.run(probe(target, options))
    except WireError as exc:
        return _fail(str(exc))
    agent = args.agent or server or DEFAULT_AGENT
    status = EXIT_OK
    if not args.no_replay:
        directories = [*search_path(), corpus_dir]
        cases, skipped = _replayed(directories, fuzz_settings.tolerate, args.kill_after)
        note = f" ({skipped} of tolerated deviations left out)" if skipped else ""
        print(f"replaying {len(cases)} corpus cases{note}", flush=True)
        if cases:
            asyncio.run(
                run_cases(target, cases, agent=agent, options=options, report=report,
                          run_index=_index)
            )  # fmt: skip
            failed = [r for r in report.results(agent) if is_mismatch(r)]
            for replayed in failed:
                print(f"  {replayed.case_id}: FAILED: {replayed.verdicts.reason}", flush=True)
            if failed:
                status = EXIT_FAILED
            if report.errors:
                for error in report.errors:
                    print(f"wsconform fuzz: {error.message}", file=sys.stderr)
                finish(report, outdir, args.formats, time.monotonic() - begin)
                return EXIT_USAGE
    print(
        f"fuzzing {args.url}: up to {fuzz_settings.max_examples} conversations"
        + (f" or {fuzz_settings.time_budget:g} s" if fuzz_settings.time_budget else "")
        + (f", seed {fuzz_settings.seed}" if fuzz_settings.seed is not None else ""),
        flush=True,
    )
    result = fuzz_target(target, fuzz_settings, agent=agent, run_index=_index)
    status = max(status, _outcome(result, report, args, corpus_dir, fuzz_settings))
    if finish(report, outdir, args.formats, time.monotonic() - begin) is None:
        return EXIT_USAGE
    return status


def _outcome(
    result: FuzzResult,
    report: Report,
    args: argparse.Namespace,
    corpus_dir: pathlib.Path,
    fuzz_settings: FuzzSettings,
) -> int:
    """Print what the search found, save a finding, fill the report; the exit status."""
    tolerated = ", ".join(f"{n} {name}" for name, n in result.tolerated.items())
    print(
        f"{result.examples} conversations in {result.seconds:.1f} s "
        f"({result.rate:.1f}/s), seed {result.seed}"
        + (f"; tolerated: {tolerated}" if tolerated else ""),
        flush=True,
    )
    if result.error is not None:
        report.add_error(result.error)
        print(f"wsconform fuzz: harness error: {result.error.message}", file=sys.stderr)
        return EXIT_USAGE
    finding = result.finding
    if finding is None:
        print("no mismatch", flush=True)
        return EXIT_OK
    saved: pathlib.Path | None = None
    try:
        saved = save(entry_of(finding, url=args.url), corpus_dir)
    except OSError as exc:
        print(f"wsconform fuzz: cannot save the finding to {corpus_dir}: {exc}", file=sys.stderr)
    for line in reproduction(
        finding, url=args.url, saved=saved, max_examples=fuzz_settings.max_examples
    ):
        print(line, flush=True)
    for case_result in result.results:
        report.add(case_result)
    return EXIT_FAILED
