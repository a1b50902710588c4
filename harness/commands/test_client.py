"""``wsconform test-client``: serve Autobahn's fuzzing-server endpoints to test clients.

A client's test driver connects to the endpoints of
:mod:`wsconform.harness.runner.fuzzing` (``/getCaseCount``, ``/runCase?case=N&agent=A``,
``/updateReports?agent=A``, ...), exactly as it would to Autobahn|Testsuite's fuzzing
server. Options are checked first (a bad pattern, timer or output directory, a port
that cannot be bound: one line and exit status 2); then the server prints its URL
(``--port 0`` picks a free port) and serves until SIGINT or SIGTERM, or with ``--once``
until the first ``/updateReports``. Each ``/updateReports`` writes the reports (the same
:class:`~wsconform.harness.report.collection.Collection` and renderers as
``test-server``, ``isServer: true``); on exit the finished cases are written once more
and the CI gate (:mod:`wsconform.harness.gate`) gives the exit status.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import pathlib
import signal
import sys
import time
from typing import Any

from wsconform.harness.gate import add_gate_arguments, apply_gate, result_fails
from wsconform.harness.report.model import CaseFinished, HarnessErrorRaised, Report, RunnerEvent
from wsconform.harness.report.render import add_report_arguments
from wsconform.harness.runner.config import RunOptions, Timeouts
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.wire.server import serve

from .case_options import UsageError, add_case_arguments, cases_from_args
from .test_server import check_baseline, check_outdir, check_testdata, check_timer, finish

__all__ = ["DEFAULT_JOBS", "DEFAULT_OUTDIR", "DEFAULT_PORT", "register", "run"]

DEFAULT_OUTDIR = "reports/clients"
DEFAULT_PORT = 9001
#: Cases run at once, across agents (a ``/runCase`` past it is answered 503).
DEFAULT_JOBS = 32
#: Seconds the cases still running at a stop get to finish before they are cancelled.
_STOP_GRACE = 2.0

EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the ``test-client`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "test-client",
        help="serve the conformance cases to WebSocket clients (Autobahn's fuzzing server)",
        description=(
            "Serve Autobahn's fuzzing-server endpoints (/getCaseCount, /getCaseInfo, "
            "/runCase, /getCaseStatus, /updateReports) until stopped, and write the "
            "reports of the clients that ran cases. Exit 0 when no case failed, 1 when "
            "some did, 2 on bad usage or a harness error."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port, 0 for any (default: %(default)s)"
    )
    add_case_arguments(parser)
    parser.add_argument(
        "--outdir", default=DEFAULT_OUTDIR, help="report directory (default: %(default)s)"
    )
    parser.add_argument("--once", action="store_true", help="exit after the first /updateReports")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="cases run at once, across agents (default: %(default)s)",
    )
    parser.add_argument(
        "--testdata", metavar="DIR", help="directory with Autobahn's original 12.x data files"
    )
    parser.add_argument(
        "--open-timeout", type=float, default=5.0, help="opening handshake timeout (5 s)"
    )
    parser.add_argument(
        "--close-timeout", type=float, default=1.0, help="closing handshake timeout (1 s)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no line per case: failures and the summary"
    )
    add_report_arguments(parser)
    add_gate_arguments(parser)
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"wsconform test-client: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


def _log(message: str) -> None:
    print(f"wsconform test-client: {message}", file=sys.stderr, flush=True)


def _progress(quiet: bool) -> Any:
    def show(event: RunnerEvent) -> None:
        if isinstance(event, CaseFinished):
            result = event.result
            verdicts = result.verdicts
            if not quiet or result_fails(result):
                print(
                    f"{result.agent}: case {result.run_index} ({result.case_id}) "
                    f"{verdicts.behavior} / {verdicts.behavior_close}",
                    flush=True,
                )
        elif isinstance(event, HarnessErrorRaised):
            error = event.error
            _log(f"harness error in {error.case_id or 'the run'} ({error.agent}): {error.message}")

    return show


async def _serve(
    args: argparse.Namespace, server: FuzzingServer, stop: asyncio.Event
) -> int | None:
    """Listen, print the URL, serve until ``stop`` (or ``--once``); ``None`` on success,
    else the exit status."""
    try:
        listener = await serve(
            server.route, args.host, args.port, timeout=server.options.timeouts.open_handshake,
            log=_log,
        )  # fmt: skip
    except OSError as exc:
        _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_USAGE
    port = listener.sockets[0].getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"wsconform test-client: {len(server.cases)} cases at ws://{host}:{port} "
        f"(reports in {args.outdir}/)",
        flush=True,
    )
    loop = asyncio.get_running_loop()
    handled = (signal.SIGINT, signal.SIGTERM)
    for signum in handled:
        loop.add_signal_handler(signum, stop.set)
    try:
        waits = [asyncio.ensure_future(stop.wait())]
        if args.once:
            waits.append(asyncio.ensure_future(server.updated.wait()))
        _done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)
        listener.close()
        await server.drain(_STOP_GRACE)
        try:
            async with asyncio.timeout(_STOP_GRACE):
                await listener.wait_closed()
        except TimeoutError:
            pass
    return None


def run(args: argparse.Namespace) -> int:
    """The ``test-client`` command; returns the exit status."""
    try:
        if args.jobs < 1:
            raise UsageError(f"-j must be at least 1, not {args.jobs}")
        if not 0 <= args.port <= 65535:
            raise UsageError(f"--port must be 0..65535, not {args.port}")
        cases = cases_from_args(args, target="client")
        timeouts = dataclasses.replace(
            Timeouts(),
            open_handshake=check_timer("--open-timeout", args.open_timeout),
            close_handshake=check_timer("--close-timeout", args.close_timeout),
        )
        outdir: pathlib.Path = check_outdir(args.outdir)
        testdata = check_testdata(args.testdata)
        check_baseline(args)
    except UsageError as exc:
        return _fail(str(exc))
    options = RunOptions(timeouts=timeouts, testdata=testdata)
    report = Report()
    begin = time.monotonic()
    written: list[bool] = []
    # What the last /updateReports wrote: (results, harness errors).
    wrote: list[tuple[int, int]] = []

    def update_reports(agent: str) -> None:
        _log(f"updating reports for {agent}")
        wrote[:] = [(len(report.results()), len(report.errors))]
        written.append(finish(report, outdir, args.formats, time.monotonic() - begin) is not None)

    async def main() -> int | None:
        server = FuzzingServer(
            cases, options=options, update_reports=update_reports, jobs=args.jobs,
            report=report, on_event=_progress(args.quiet), log=_log,
        )  # fmt: skip
        return await _serve(args, server, asyncio.Event())

    status = asyncio.run(main())
    if status is not None:
        return status
    # What finished after the last /updateReports (or all of it, without one).
    unchanged = wrote == [(len(report.results()), len(report.errors))]
    if not unchanged and finish(report, outdir, args.formats, time.monotonic() - begin) is None:
        return EXIT_USAGE
    if not all(written):
        return EXIT_USAGE
    return apply_gate(report, args)
