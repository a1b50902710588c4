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

SIGINT or SIGTERM (the first one; later ones are ignored) stops the replay or the
search after the cases running finish (each is bounded by its timers; ``--serve``
stops waiting for a client at once); the finished corpus cases and a mismatch
confirmed by then are written as a partial report, marked interrupted in every format
as ``test-server`` marks it (a run-level harness error), and the exit status is 128
plus the signal number (130, 143).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import pathlib
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    InMemoryExampleDatabase,
)

from wsconform.cases import catalog
from wsconform.cases.exceptions import UnknownCaseError
from wsconform.cases.model import Case
from wsconform.harness.fuzz.clients import fuzz_clients
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
from wsconform.harness.report.model import CaseResult, HarnessError, Report
from wsconform.harness.report.render import add_report_arguments
from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.scheduler import probe, run_cases
from wsconform.harness.wire.exceptions import WireError
from wsconform.reference.protocol.connection import CLIENT, SERVER

from .case_options import UsageError
from .test_server import check_outdir, check_timer, check_tls, finish, interruptible

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
    parser.add_argument("url", metavar="URL", nargs="?", help="ws:// or wss:// URL of the server")
    parser.add_argument(
        "--serve",
        type=int,
        metavar="PORT",
        help=(
            "fuzz a client instead: listen on PORT (0: a free one) and run each "
            "conversation on the next connection a client driver opens (docs/fuzzing.md)"
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="--serve: the address to listen on (127.0.0.1)"
    )
    parser.add_argument(
        "--client-wait",
        type=float,
        default=30.0,
        metavar="S",
        help="--serve: how long each conversation waits for a client (default 30 s)",
    )
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
        "--length-mutations",
        action="store_true",
        help="also send non-minimal length encodings and 64-bit lengths with the top bit "
        "set (RFC 6455 section 5.2; docs/fuzzing.md)",
    )
    parser.add_argument(
        "--kill-after",
        type=float,
        default=1.0,
        metavar="S",
        help="how long a case waits for the peer to fail the connection (default 1 s)",
    )
    parser.add_argument("--agent", help=f"name in the reports (default {DEFAULT_AGENT})")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file whose [fuzz] table gives the defaults (default: "
        "wsconform.toml or [tool.wsconform] in pyproject.toml, from the working "
        "directory up; docs/configuration.md)",
    )
    parser.add_argument("--insecure", action="store_true", help="wss://: do not verify")
    parser.add_argument("--cafile", help="wss://: CA certificates to verify the server with")
    add_report_arguments(parser)
    parser.set_defaults(handler=run, command_parser=parser, config_table="fuzz")


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


class _Signals:
    """While entered, the first SIGINT or SIGTERM sets :attr:`stop` (later ones are
    ignored) and is kept in :attr:`signum`; the run's progress, for the message."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.signum: int | None = None
        self.replay_total = 0
        self.replayed = 0
        self.examples = 0
        self.agent = DEFAULT_AGENT
        self._previous: dict[int, Any] = {}

    def caught(self, signum: int) -> None:
        """Record ``signum`` (the first one) and set :attr:`stop`."""
        if self.signum is None:
            self.signum = signum
            self.stop.set()

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.caught(signum)

    def __enter__(self) -> _Signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)

    def error(self, agent: str) -> HarnessError:
        """The run-level harness error that marks the report partial."""
        assert self.signum is not None
        name = signal.Signals(self.signum).name
        return HarnessError(
            agent,
            None,
            f"interrupted by {name}: partial report, {self.replayed} of "
            f"{self.replay_total} corpus cases finished, {self.examples} conversations fuzzed",
        )


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
        length_mutations=args.length_mutations,
    )


def _replayed(
    directories: list[pathlib.Path], tolerate: frozenset[str], kill_after: float, target: str
) -> tuple[list[Case], int]:
    """The corpus cases to replay against a ``target`` (``"server"`` or ``"client"``),
    and how many were left out as tolerated deviations."""
    entries, problems = load_entries(directories)
    for problem in problems:
        print(f"wsconform fuzz: corpus file left out: {problem}", file=sys.stderr)
    chosen, skipped = [], 0
    for entry in entries:
        if entry.target != target:
            continue
        conversation = entry.conversation
        side = SERVER if target == "server" else CLIENT
        if tolerate and deviation_of(conversation, predict(conversation, side=side), tolerate):
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
        if (args.url is None) == (args.serve is None):
            raise UsageError("give the URL of a server, or --serve PORT to fuzz a client")
        target = None
        if args.url is not None:
            target = Target(args.url, verify_tls=not args.insecure, cafile=args.cafile)
            check_tls(target)
        else:
            check_timer("--client-wait", args.client_wait)
            if not 0 <= args.serve <= 65535:
                raise UsageError(f"--serve {args.serve} is not a TCP port")
        outdir = check_outdir(args.outdir)
        corpus_dir = pathlib.Path(args.corpus) if args.corpus else default_corpus()
    except (UsageError, WireError, ValueError) as exc:
        return _fail(str(exc))
    begin = time.monotonic()
    report = Report()
    directories = [] if args.no_replay else [*search_path(), corpus_dir]
    with _Signals() as signals:
        if target is None:
            status = _serve(args, fuzz_settings, report, directories, corpus_dir, signals=signals)
        else:
            status = _fuzz_server(
                args, target, fuzz_settings, report=report, directories=directories,
                corpus_dir=corpus_dir, signals=signals,
            )  # fmt: skip
    if signals.signum is not None:
        error = signals.error(signals.agent)
        report.add_error(error)
        print(f"wsconform fuzz: {error.message}", file=sys.stderr, flush=True)
        status = 128 + signals.signum
    elif status == EXIT_USAGE and not report.results() and not report.errors:
        return status
    if finish(report, outdir, args.formats, time.monotonic() - begin) is None:
        return EXIT_USAGE
    return status


def _fuzz_server(
    args: argparse.Namespace,
    target: Target,
    fuzz_settings: FuzzSettings,
    *,
    report: Report,
    directories: list[pathlib.Path],
    corpus_dir: pathlib.Path,
    signals: _Signals,
) -> int:
    """Probe, replay the server corpus, search; the exit status."""
    options = fuzz_settings.options
    try:
        server = asyncio.run(probe(target, options))
    except WireError as exc:
        return _fail(str(exc))
    agent = signals.agent = args.agent or server or DEFAULT_AGENT
    status = EXIT_OK
    cases, skipped = _replayed(directories, fuzz_settings.tolerate, args.kill_after, "server")
    signals.replay_total = len(cases)
    if directories:
        note = f" ({skipped} of tolerated deviations left out)" if skipped else ""
        print(f"replaying {len(cases)} corpus cases{note}", flush=True)
    if cases and not signals.stop.is_set():
        _done, signum = asyncio.run(
            interruptible(
                run_cases(target, cases, agent=agent, options=options, report=report,
                          run_index=_index)
            )
        )  # fmt: skip
        if signum is not None:
            signals.caught(signum)
        signals.replayed = len(report.results(agent))
        status = _replay_status(report.results(agent))
        if report.errors:
            for error in report.errors:
                print(f"wsconform fuzz: {error.message}", file=sys.stderr)
            return EXIT_USAGE
    print(
        f"fuzzing {args.url}: up to {fuzz_settings.max_examples} conversations"
        + (f" or {fuzz_settings.time_budget:g} s" if fuzz_settings.time_budget else "")
        + (f", seed {fuzz_settings.seed}" if fuzz_settings.seed is not None else ""),
        flush=True,
    )
    if signals.stop.is_set():
        return status
    result = fuzz_target(target, fuzz_settings, agent=agent, run_index=_index, stop=signals.stop)
    signals.examples = result.examples
    outcome = _outcome(
        result, report, url=args.url, corpus_dir=corpus_dir, fuzz_settings=fuzz_settings
    )
    return max(status, outcome)


def _serve(
    args: argparse.Namespace,
    fuzz_settings: FuzzSettings,
    report: Report,
    directories: list[pathlib.Path],
    corpus_dir: pathlib.Path,
    *,
    signals: _Signals,
) -> int:
    """Listen, replay the client corpus, search (``--serve``); the exit status."""
    agent = signals.agent = args.agent or DEFAULT_AGENT
    settings = dataclasses.replace(fuzz_settings, masked=False)
    cases, _skipped = _replayed(directories, settings.tolerate, args.kill_after, "client")
    signals.replay_total = len(cases)
    urls: list[str] = []

    def listening(url: str) -> None:
        urls.append(url)
        print(f"listening on {url}: up to {settings.max_examples} conversations", flush=True)
        if directories:
            print(f"replaying {len(cases)} corpus cases first", flush=True)

    try:
        result, replayed = fuzz_clients(
            args.serve, settings, host=args.host, agent=agent, wait=args.client_wait,
            listening=listening, replay=cases, stop=signals.stop,
        )  # fmt: skip
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.serve}: {exc.strerror or exc}")
    except WireError as exc:
        return _fail(str(exc))
    signals.replayed, signals.examples = len(replayed), result.examples
    for case_result in replayed:
        report.add(case_result)
    status = _replay_status(replayed)
    url = urls[0] if urls else f"ws://{args.host}:{args.serve}/"
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    outcome = _outcome(
        result, report, url=url, corpus_dir=corpus_dir, fuzz_settings=settings, serve=port
    )
    return max(status, outcome)


def _replay_status(results: list[CaseResult]) -> int:
    """Print the corpus cases that failed; 1 if any did."""
    failed = [r for r in results if is_mismatch(r)]
    for replayed in failed:
        print(f"  {replayed.case_id}: FAILED: {replayed.verdicts.reason}", flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def _outcome(
    result: FuzzResult,
    report: Report,
    *,
    url: str,
    corpus_dir: pathlib.Path,
    fuzz_settings: FuzzSettings,
    serve: int | None = None,
) -> int:
    """Print what the search found, save a finding, fill the report; the exit status."""
    tolerated = ", ".join(f"{n} {name}" for name, n in result.tolerated.items())
    print(
        f"{result.examples} conversations in {result.seconds:.1f} s "
        f"({result.rate:.1f}/s), seed {result.seed}"
        + (f"; tolerated: {tolerated}" if tolerated else ""),
        flush=True,
    )
    for line in result.unconfirmed:
        print(f"wsconform fuzz: a mismatch did not happen again (timing?): {line}", flush=True)
    if result.unconfirmed_count > len(result.unconfirmed):
        more = result.unconfirmed_count - len(result.unconfirmed)
        print(f"wsconform fuzz: {more} more mismatches did not happen again", flush=True)
    if result.error is not None:
        report.add_error(result.error)
        print(f"wsconform fuzz: harness error: {result.error.message}", file=sys.stderr)
        return EXIT_USAGE
    finding = result.finding
    if finding is None:
        said = "interrupted: no mismatch so far" if result.interrupted else "no mismatch"
        print(said, flush=True)
        return EXIT_OK
    saved: pathlib.Path | None = None
    try:
        saved = save(entry_of(finding, url=url), corpus_dir)
    except OSError as exc:
        print(f"wsconform fuzz: cannot save the finding to {corpus_dir}: {exc}", file=sys.stderr)
    lines = reproduction(
        finding, url=url, saved=saved, max_examples=fuzz_settings.max_examples, serve=serve
    )
    for line in lines:
        print(line, flush=True)
    for case_result in result.results:
        report.add(case_result)
    return EXIT_FAILED
