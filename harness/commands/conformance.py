"""``wsconform conformance``: the job behind ``make test-conformance``.

It starts the reference server as a subprocess (``wsconform reference-server --host
127.0.0.1 --port 0``, waiting for its ``listening on`` line), runs every case of the
catalog against it, writes ``<outdir>/servers/`` (Autobahn's JSON layout, HTML, JUnit
and a Markdown summary), prints a summary
and stops the server. Then it runs the reference client against ``test-client``'s
endpoints and writes ``<outdir>/clients/`` (:mod:`.client_conformance`). The exit
status is the CI gate's (:mod:`wsconform.harness.gate`) over both phases, at
``--fail-on informational``: 0 only when every case is OK (INFORMATIONAL for the
informational cases) or within a documented, RFC-cited exemption
(:mod:`wsconform.harness.runner.exemptions`); 1 when a case is not; 2 when the server
cannot be started or a harness error occurred.

SIGINT and SIGTERM end the run alike: the finished cases are written as a partial
report (marked interrupted, see :func:`~.test_server.interrupted_error`), the server
(which runs in its own process group) is stopped, and the exit status is 128 plus the
signal number (130, 143).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import pathlib
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any

from wsconform.harness.gate import run_gate
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import Report
from wsconform.harness.report.render import FORMATS
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.exemptions import EXEMPTIONS, accepted
from wsconform.harness.runner.scheduler import DEFAULT_JOBS
from wsconform.harness.wire.exceptions import WireError

from .client_conformance import run_client_phase
from .test_server import (
    UsageError,
    check_outdir,
    finish,
    interrupted_error,
    interruptible,
    select_cases,
    test_server,
)

__all__ = [
    "AGENT",
    "ServerStartError",
    "listening_process",
    "reference_server",
    "register",
    "run",
]

#: The agent name of the reference server in the reports.
AGENT = "wsconform-reference"

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 10.0
_LISTENING = "listening on "


class ServerStartError(Exception):
    """The reference server did not start; the message says why."""


def register(subparsers: Any) -> None:
    """Add the ``conformance`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "conformance",
        help="run every case against the reference server (make test-conformance)",
        description=(
            "Start the reference server, run every case against it, write "
            "OUTDIR/servers/, and exit 0 only when every case passes (or carries a "
            "documented, RFC-cited exemption)."
        ),
    )
    parser.add_argument("--outdir", default="reports", help="where reports are written")
    parser.add_argument(
        "-j", "--jobs", type=int, default=DEFAULT_JOBS, help="cases run at once (%(default)s)"
    )
    parser.add_argument(
        "--cases", action="append", metavar="PATTERNS", help="only these cases (default: *)"
    )
    parser.add_argument(
        "--api",
        choices=("asyncio", "sync"),
        default="asyncio",
        help="front end of the reference server (default: %(default)s)",
    )
    parser.set_defaults(handler=run)


def _drain(stream: IO[str]) -> None:
    """Read a pipe to its end so the server never blocks on a full pipe."""
    for _line in stream:
        pass


def _wait_listening(process: subprocess.Popen[str], name: str, timeout: float) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith(_LISTENING):
                return line[len(_LISTENING) :].strip()
    raise ServerStartError(f"{name} did not print its 'listening on' line")


class Terminated(Exception):
    """SIGTERM arrived while the reference server was starting or stopping."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def listening_process(
    command: Sequence[str], name: str, timeout: float = _START_TIMEOUT
) -> Iterator[str]:
    """Run a server ``command`` that prints ``listening on URL`` once ready; yield the
    URL; terminate it after (kill it if it does not stop in time).

    Raises:
        ServerStartError: the server exits or stays silent; the message has the last
            line it wrote to stderr.
    """
    with tempfile.TemporaryFile("w+") as errors:
        # Its own session (and process group): a signal meant for us reaches it only
        # through our cleanup below, which runs on SIGTERM as on SIGINT (:func:`run`).
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
        try:
            try:
                url = _wait_listening(process, name, timeout)
            except ServerStartError as exc:
                process.kill()
                process.wait(_STOP_TIMEOUT)
                errors.seek(0)
                last = errors.read().strip().splitlines()[-1:] or ["no output"]
                raise ServerStartError(f"{exc}: {last[0]}") from None
            assert process.stdout is not None
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            yield url
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(_STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(_STOP_TIMEOUT)


@contextlib.contextmanager
def reference_server(api: str = "asyncio", timeout: float = _START_TIMEOUT) -> Iterator[str]:
    """Run the reference server in a subprocess; yield its ``ws://`` URL; stop it after.

    Raises:
        ServerStartError: the server cannot be started or does not announce itself.
    """
    command = [
        sys.executable, "-m", "wsconform.harness.cli", "reference-server",
        "--host", "127.0.0.1", "--port", "0", "--api", api,
    ]  # fmt: skip
    with listening_process(command, "the reference server", timeout) as url:
        yield url


def _fail(message: str) -> int:
    print(f"wsconform conformance: {message}", file=sys.stderr, flush=True)
    return 2


def run(args: argparse.Namespace) -> int:
    """The ``conformance`` command; returns the exit status."""
    try:
        cases = select_cases(args.cases, None)
        outdir = check_outdir(pathlib.Path(args.outdir) / "servers")
        if args.jobs < 1:
            raise UsageError(f"-j must be at least 1, not {args.jobs}")
    except UsageError as exc:
        return _fail(str(exc))
    options = RunOptions(testdata=testdata_loader())
    begin = time.monotonic()
    report = Report()
    # SIGTERM ends the run as SIGINT does: through the ``finally`` that stops the server.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    signum: int | None = None
    try:
        with reference_server(args.api) as url:
            print(f"reference server at {url}; running {len(cases)} cases", flush=True)
            _done, signum = asyncio.run(
                interruptible(
                    test_server(
                        Target(url), cases, agent=AGENT, jobs=args.jobs, options=options,
                        report=report,
                    )
                )
            )  # fmt: skip
    except (ServerStartError, WireError) as exc:
        return _fail(str(exc))
    except Terminated:
        _fail("terminated by SIGTERM outside the run; the reference server is stopped")
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        _fail("interrupted by SIGINT outside the run; the reference server is stopped")
        return 128 + signal.SIGINT
    finally:
        signal.signal(signal.SIGTERM, previous)
    if signum is not None:
        error = interrupted_error(report, AGENT, signum, len(cases))
        report.add_error(error)
        print(f"wsconform conformance: {error.message}", file=sys.stderr, flush=True)
    if finish(report, outdir, FORMATS, time.monotonic() - begin) is None:
        return 2
    if signum is not None:
        return 128 + signum
    for exemption in EXEMPTIONS.values():
        print(f"exempted {exemption.case_id}: {exemption.rfc}: {exemption.reason}")
    status = run_gate(report, Outcome.INFORMATIONAL, accepted(AGENT), compare=False)
    # The second phase: the reference client against test-client, into OUTDIR/clients/.
    try:
        clients = check_outdir(pathlib.Path(args.outdir) / "clients")
    except UsageError as exc:
        return _fail(str(exc))
    return max(status, run_client_phase(cases, clients, options, api=args.api))
