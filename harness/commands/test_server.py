"""``wsconform test-server URL``: run the catalog against a WebSocket server.

Case patterns follow Autobahn's rules and may be given comma-separated or repeated.
Before the first case, the output directory is checked and one probe connection is
opened and closed: an unreachable URL, a target that does not complete the WebSocket
opening handshake (a plain HTTP server: the message quotes its status line), a bad
pattern or an unwritable directory ends the run at once with a one-line message and
exit status 2. Afterwards one :class:`~wsconform.harness.report.collection.Collection`
is built and every output renders it (the report files, the terminal summary), and the
CI gate (:mod:`wsconform.harness.gate`) gives the exit status: 0 when no case fails it,
1 when some do, 2 when a harness error kept cases from a verdict.

Every option is checked before that: the timers must be finite and above 0, a
``--cafile`` must hold PEM certificates. SIGINT or SIGTERM during the run writes the
finished cases as a partial report, marked interrupted in every format, and exits with
128 plus the signal number (130, 143).

The server may be one wsconform starts (``--target-cmd``, ``--docker-image``:
:mod:`wsconform.harness.targets`, ``docs/targets.md``), which is restarted when it dies
and always stopped; ``--spec`` runs every server of Autobahn's ``fuzzingclient.json``
into one report (:mod:`.spec`); ``--shard I/N`` runs a share of the cases
(:mod:`wsconform.harness.runner.shards`); a configuration file gives the defaults of
every option (:mod:`wsconform.harness.settings`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import pathlib
import signal
import ssl
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from wsconform.cases import catalog
from wsconform.cases.model import Case
from wsconform.cases.testdata import FILES
from wsconform.harness.gate import Baseline, BaselineError, add_gate_arguments, apply_gate
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.exceptions import ReportError
from wsconform.harness.report.model import HarnessError, Report
from wsconform.harness.report.progress import RunProgress
from wsconform.harness.report.render import add_report_arguments, write_reports
from wsconform.harness.report.text import print_summary
from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.scheduler import DEFAULT_JOBS, UNKNOWN_AGENT, probe, run_cases
from wsconform.harness.targets.base import ServerTarget, Terminated, sigterm_raises
from wsconform.harness.targets.exceptions import TargetError
from wsconform.harness.targets.options import add_target_arguments, build_target
from wsconform.harness.targets.supervisor import Supervisor
from wsconform.harness.targets.url import UrlTarget
from wsconform.harness.wire.client import DEFAULT_CONNECT_TIMEOUT, tls_context
from wsconform.harness.wire.exceptions import WireError
from wsconform.reference.asyncio.loop import run as run_loop

from .case_options import UsageError, add_case_arguments, cases_from_args, select_cases
from .spec import SpecError, load_spec

__all__ = [
    "DEFAULT_OUTDIR",
    "UsageError",
    "check_baseline",
    "check_outdir",
    "check_testdata",
    "check_timer",
    "check_tls",
    "finish",
    "interrupted_error",
    "interruptible",
    "register",
    "run",
    "run_started",
    "select_cases",
    "test_server",
]

DEFAULT_OUTDIR = "reports/servers"

EXIT_USAGE = 2

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add the ``test-server`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test-server",
        help="run the conformance cases against a WebSocket server",
        description=(
            "Run Autobahn's cases against the server at URL and write the JSON report. "
            "Exit 0 when no case failed, 1 when some did, 2 on bad usage or a harness "
            "error (unreachable URL, bad pattern, unwritable output directory)."
        ),
    )
    parser.add_argument(
        "url",
        metavar="URL",
        nargs="?",
        help="ws:// or wss:// URL of the server (with --target-cmd: {port} is its port)",
    )
    parser.add_argument(
        "--agent", help="name in the reports (default: the Server header, else UnknownServer)"
    )
    add_case_arguments(parser)
    parser.add_argument(
        "--outdir",
        help=f"report directory (default: a --spec file's outdir, else {DEFAULT_OUTDIR})",
    )
    parser.add_argument(
        "--spec",
        metavar="FILE",
        help=(
            "Autobahn's fuzzingclient.json: every server in it into one report "
            "(docs/migrating-from-autobahn.md)"
        ),
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help=(
            "cases run at once, each on its own connection (default: 4 per core, at most "
            "16, so %(default)s here; the CPU-bound compression loops of 12 and 13 at most "
            "one per core)"
        ),
    )
    parser.add_argument(
        "--testdata", metavar="DIR", help="directory with Autobahn's original 12.x data files"
    )
    parser.add_argument(
        "--insecure", action="store_true", help="wss://: do not verify the certificate"
    )
    parser.add_argument("--cafile", help="wss://: CA certificates to verify the server with")
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=DEFAULT_CONNECT_TIMEOUT,
        help=f"to open TCP and, for wss://, the TLS handshake ({DEFAULT_CONNECT_TIMEOUT:g} s)",
    )
    parser.add_argument(
        "--open-timeout", type=float, default=5.0, help="opening handshake timeout (5 s)"
    )
    parser.add_argument(
        "--close-timeout", type=float, default=1.0, help="closing handshake timeout (1 s)"
    )
    parser.add_argument(
        "--drop-timeout", type=float, default=1.0, help="server TCP drop timeout (1 s)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress: failures and the summary only"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file (default: wsconform.toml or [tool.wsconform] in "
        "pyproject.toml, from the working directory up; docs/configuration.md)",
    )
    add_target_arguments(parser)
    add_report_arguments(parser)
    add_gate_arguments(parser)
    parser.set_defaults(handler=run, command_parser=parser)


def check_outdir(outdir: str | pathlib.Path) -> pathlib.Path:
    """Create ``outdir`` if needed and make sure a file can be written there.

    Raises:
        UsageError: the directory cannot be created or written.
    """
    path = pathlib.Path(outdir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write reports to {path}: {exc.strerror or exc}") from exc
    return path


def check_testdata(directory: str | None) -> Callable[[str], bytes]:
    """The 12.x data loader; with ``--testdata DIR``, every original file read up front.

    Raises:
        UsageError: the directory or one of Autobahn's five files is missing or unreadable.
    """
    load = testdata_loader(directory)
    if directory is None:
        return load
    if not pathlib.Path(directory).is_dir():
        raise UsageError(f"--testdata {directory} is not a directory")
    for data_file in FILES:
        try:
            load(data_file.key)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--testdata {directory}: {data_file.file_name}: {exc}") from exc
    return load


def check_timer(option: str, seconds: float) -> float:
    """A timer option's value when it is a finite number of seconds above 0.

    Raises:
        UsageError: ``nan``, an infinity, 0 or a negative number.
    """
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"{option} must be a finite number of seconds above 0, not {seconds}")
    return seconds


def check_tls(target: Target) -> ssl.SSLContext | None:
    """The TLS context of ``target``, built up front so that a bad ``--cafile`` is a usage
    error before any case runs (``None`` for a ``ws://`` URL without ``--cafile``).

    Raises:
        UsageError: the CA file is missing, unreadable or holds no PEM certificate.
    """
    if target.cafile is None and not target.uri.secure:
        return None
    try:
        context = tls_context(verify=target.verify_tls, cafile=target.cafile)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        raise UsageError(f"--cafile {target.cafile}: not PEM CA certificates ({reason})") from None
    except FileNotFoundError:
        raise UsageError(f"--cafile {target.cafile}: no such file") from None
    except OSError as exc:
        raise UsageError(f"--cafile {target.cafile}: {exc.strerror or exc}") from None
    return context if target.uri.secure else None


def check_baseline(args: argparse.Namespace) -> None:
    """Reject a gate configuration that cannot work before any case runs.

    Raises:
        UsageError: ``--update-baseline`` without ``--baseline``, or an unreadable
            baseline that is not about to be written.
    """
    if args.update_baseline and not args.baseline:
        raise UsageError("--update-baseline needs --baseline FILE")
    if args.baseline and not (args.update_baseline and not pathlib.Path(args.baseline).exists()):
        try:
            Baseline.load(args.baseline)
        except BaselineError as exc:
            raise UsageError(f"baseline: {exc}") from exc


async def test_server(
    target: Target,
    cases: Sequence[Case],
    *,
    agent: str | None,
    jobs: int,
    options: RunOptions,
    verbose: bool = True,
    report: Report | None = None,
    supervisor: Supervisor | None = None,
) -> tuple[Report, str]:
    """Probe ``target`` once, then run ``cases``; return the report and the agent.

    ``verbose`` shows live progress (a bar on a terminal, a line per case otherwise);
    without it only failures and harness errors are printed as they happen. Results go
    into ``report`` when given, so that a caller keeps the finished cases of a run that
    is cancelled (:func:`interruptible`). ``supervisor`` restarts a target the harness
    started when it dies (:mod:`wsconform.harness.targets.supervisor`).

    Raises:
        WireError: the target cannot be reached, or it is not a WebSocket server.
    """
    server = await probe(target, options)
    name = agent or server or UNKNOWN_AGENT
    with RunProgress(len(cases), quiet=not verbose) as progress:
        report = await run_cases(
            target,
            cases,
            agent=name,
            jobs=jobs,
            options=options,
            report=report,
            run_index=catalog.run_index,
            on_event=progress.handle,
            supervisor=supervisor,
        )
    return report, name


async def interruptible(run: Coroutine[Any, Any, T]) -> tuple[T | None, int | None]:
    """Run ``run`` until it ends or SIGINT / SIGTERM arrives; return its value (``None``
    when interrupted) and the signal number (``None`` when it ended by itself).

    The signal cancels the run, so the caller can still write what finished; a second
    signal is ignored until then.
    """
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(run)
    caught: list[int] = []

    def interrupt(signum: int) -> None:
        if not caught:
            caught.append(signum)
            task.cancel()

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.getsignal(signum) for signum in handled}
    for signum in handled:
        loop.add_signal_handler(signum, interrupt, signum)
    try:
        return await task, None
    except asyncio.CancelledError:
        if not caught:
            raise
        return None, caught[0]
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
            # The loop would leave SIG_DFL behind: put the caller's handler back.
            handler = previous[signum]
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def interrupted_error(report: Report, agent: str, signum: int, total: int) -> HarnessError:
    """The run-level harness error that marks a report as partial, in every format.

    It goes to ``harness_errors.json`` (Autobahn's ``index.json`` keeps its layout) and
    to the HTML index, JUnit and Markdown, which list run-level harness errors.
    """
    finished = len(report.results(agent))
    running = [e.case_id for e in report.unfinished()]
    errored = len({e.case_id for e in report.errors if e.case_id is not None})
    name = signal.Signals(signum).name
    left = total - finished - errored
    detail = f" ({len(running)} running: {', '.join(running[:10])})" if running else ""
    return HarnessError(
        agent,
        None,
        f"interrupted by {name}: partial report, {finished} of {total} cases finished, "
        f"{left} not finished{detail}",
    )


def _fail(message: str) -> int:
    print(f"wsconform test-server: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """The ``test-server`` command; returns the exit status."""
    try:
        if args.jobs < 1:
            raise UsageError(f"-j must be at least 1, not {args.jobs}")
        check_timer("--ready-timeout", args.ready_timeout)
        check_timer("--stop-grace", args.stop_grace)
        plans = _plans(args)
        for _server, target, _agent, _cases in plans:
            check_tls(target)
        timeouts = dataclasses.replace(
            Timeouts(),
            open_handshake=check_timer("--open-timeout", args.open_timeout),
            close_handshake=check_timer("--close-timeout", args.close_timeout),
            server_connection_drop=check_timer("--drop-timeout", args.drop_timeout),
            connect=check_timer("--connect-timeout", args.connect_timeout),
        )
        outdir = check_outdir(args.outdir or DEFAULT_OUTDIR)
        testdata = check_testdata(args.testdata)
        check_baseline(args)
    except (UsageError, WireError, TargetError, SpecError) as exc:
        return _fail(str(exc))
    options = RunOptions(timeouts=timeouts, testdata=testdata, strict=args.strict)
    begin = time.monotonic()
    report = Report()
    for server, target, agent, cases in plans:
        status = run_started(
            server, target, cases, agent=agent, jobs=args.jobs, options=options,
            outdir=outdir, formats=args.formats, quiet=args.quiet,
            ready_timeout=args.ready_timeout, gate=lambda _report: 0, report=report,
            write=False,
        )  # fmt: skip
        if status == EXIT_USAGE and len(plans) == 1:
            return EXIT_USAGE
        if status > EXIT_USAGE:
            break
    if finish(report, outdir, args.formats, time.monotonic() - begin) is None:
        return EXIT_USAGE
    if status > EXIT_USAGE:
        return status
    return apply_gate(report, args)


Plan = tuple[ServerTarget, Target, str | None, list[Case]]


def _plans(args: argparse.Namespace) -> list[Plan]:
    """The (target, URL settings, agent, cases) of each server the options name: one,
    or every server of a ``--spec`` file (:mod:`.spec`), whose outdir is the default.

    Raises:
        UsageError, WireError, TargetError, SpecError: bad options or spec file.
    """

    def settings(url: str) -> Target:
        return Target(url, verify_tls=not args.insecure, cafile=args.cafile)

    if args.spec is None:
        cases = cases_from_args(args, target="server")
        server = build_target(args)
        return [(server, settings(server.url), args.agent, cases)]
    if args.url or args.target_cmd or args.docker_image or args.agent:
        raise UsageError("--spec names its servers: leave out URL, --agent and the target")
    spec = load_spec(args.spec)
    if args.outdir is None:
        args.outdir = spec.outdir
    plans: list[Plan] = []
    for entry in spec.servers:
        cases = cases_from_args(
            args, default=spec.cases, exclude=spec.excluded(entry.agent), target="server"
        )
        plans.append((UrlTarget(entry.url), settings(entry.url), entry.agent, cases))
    return plans


def run_started(
    server: ServerTarget,
    target: Target,
    cases: Sequence[Case],
    *,
    agent: str | None,
    jobs: int,
    options: RunOptions,
    outdir: pathlib.Path,
    formats: Sequence[str],
    quiet: bool = False,
    ready_timeout: float,
    gate: Callable[[Report], int],
    report: Report | None = None,
    write: bool = True,
    prog: str = "test-server",
) -> int:
    """Start ``server``, run ``cases`` against it, stop it, write the reports, gate.

    The server is stopped (and a container removed) whatever happens: SIGINT or
    SIGTERM while it starts end the command with 130 or 143, during the run they give
    a partial report. With ``write=False`` the results stay in ``report`` for a caller
    that runs several agents into one report (``--spec``); the status is then 0, or
    2 when the server could not be started. ``prog`` names the command in messages.
    """

    def fail(message: str) -> int:
        print(f"wsconform {prog}: {message}", file=sys.stderr, flush=True)
        return EXIT_USAGE

    begin = time.monotonic()
    report = report if report is not None else Report()
    signum: int | None = None
    name = agent
    with sigterm_raises():
        try:
            server.start(ready_timeout)
            supervisor = Supervisor(server, ready_timeout=ready_timeout)
            done, signum = run_loop(
                interruptible(
                    test_server(
                        target, cases, agent=agent, jobs=jobs, options=options,
                        verbose=not quiet, report=report,
                        supervisor=supervisor if server.restartable else None,
                    )
                )
            )  # fmt: skip
            if done is not None:
                name = done[1]
        except (WireError, TargetError) as exc:
            if not write:
                # Several servers (--spec): this one has no verdicts, the others run.
                report.add_error(HarnessError(agent or UNKNOWN_AGENT, None, str(exc)))
            return fail(str(exc))
        except Terminated:
            fail(f"terminated by SIGTERM outside the run; {server.name} is stopped")
            return 128 + signal.SIGTERM
        except KeyboardInterrupt:
            fail(f"interrupted by SIGINT outside the run; {server.name} is stopped")
            return 128 + signal.SIGINT
        finally:
            logs = server.logs()
            server.stop()
    seconds = time.monotonic() - begin
    agents = report.agents or [e.agent for e in report.unfinished()]
    name = name or (agents[0] if agents else UNKNOWN_AGENT)
    if logs:
        report.target_logs[name] = logs
    if signum is not None:
        error = interrupted_error(report, name, signum, len(cases))
        report.add_error(error)
        print(f"wsconform {prog}: {error.message}", file=sys.stderr, flush=True)
    if not write:
        return 128 + signum if signum is not None else 0
    if finish(report, outdir, formats, seconds) is None:
        return EXIT_USAGE
    if signum is not None:
        # The shell's convention for a process ended by a signal: 128 + its number.
        return 128 + signum
    return gate(report)


def finish(
    report: Report, outdir: pathlib.Path, formats: Sequence[str], seconds: float
) -> Collection | None:
    """Build the one collection of a run, write its reports, print its summary.

    Returns ``None`` (after a one-line message) when the reports cannot be written.
    """
    try:
        collection = Collection.of(report, outdir)
        write_reports(collection, outdir, formats)
    except ReportError as exc:
        _fail(str(exc))
        return None
    print_summary(collection, seconds)
    print(f"reports written to {outdir}/", flush=True)
    return collection
