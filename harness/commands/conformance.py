"""``wsconform conformance``: the job behind ``make test-conformance``.

It starts the reference server as a command target (``wsconform reference-server
--host 127.0.0.1 --port PORT``, ready once it completes a WebSocket handshake,
:mod:`wsconform.harness.targets`), runs every case of the
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
import contextlib
import pathlib
import selectors
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any

from wsconform.cases import catalog
from wsconform.harness.gate import run_gate
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import Report
from wsconform.harness.report.render import FORMATS
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.exemptions import EXEMPTIONS, accepted
from wsconform.harness.runner.scheduler import DEFAULT_JOBS
from wsconform.harness.targets.command import PORT_PLACEHOLDER, CommandTarget
from wsconform.harness.targets.exceptions import TargetError

from .case_options import add_strict_argument
from .client_conformance import run_client_phase
from .test_server import UsageError, check_outdir, run_started, select_cases

__all__ = [
    "AGENT",
    "ServerStartError",
    "listening_process",
    "reference_server",
    "reference_target",
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
        "-j",
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="cases run at once (default: 4 per core, at most 16, so %(default)s here)",
    )
    parser.add_argument(
        "--cases", action="append", metavar="PATTERNS", help="only these cases (default: *)"
    )
    add_strict_argument(parser)
    parser.add_argument(
        "--catalog",
        choices=sorted(catalog.CATALOGS),
        default="all",
        help="Autobahn's cases, wsconform's families or both (default: %(default)s; "
        "docs/catalogs.md)",
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


def reference_target(api: str = "asyncio") -> CommandTarget:
    """The reference server as a target (:mod:`wsconform.harness.targets.command`): in
    its own session, ready once it completes a WebSocket handshake, restarted if it
    dies, stopped with TERM then KILL."""
    command = [
        sys.executable, "-m", "wsconform.harness.cli", "reference-server",
        "--host", "127.0.0.1", "--port", PORT_PLACEHOLDER, "--api", api,
    ]  # fmt: skip
    return CommandTarget(command, name="the reference server")


@contextlib.contextmanager
def reference_server(api: str = "asyncio", timeout: float = _START_TIMEOUT) -> Iterator[str]:
    """Run the reference server in a subprocess; yield its ``ws://`` URL; stop it after.

    Raises:
        ServerStartError: the server cannot be started or does not answer a handshake.
    """
    server = reference_target(api)
    try:
        server.start(timeout)
    except TargetError as exc:
        server.stop()
        raise ServerStartError(str(exc)) from None
    try:
        yield server.url
    finally:
        server.stop()


def _fail(message: str) -> int:
    print(f"wsconform conformance: {message}", file=sys.stderr, flush=True)
    return 2


def run(args: argparse.Namespace) -> int:
    """The ``conformance`` command; returns the exit status."""
    try:
        cases = select_cases(args.cases, None, catalog_name=args.catalog)
        outdir = check_outdir(pathlib.Path(args.outdir) / "servers")
        if args.jobs < 1:
            raise UsageError(f"-j must be at least 1, not {args.jobs}")
    except UsageError as exc:
        return _fail(str(exc))
    options = RunOptions(testdata=testdata_loader(), strict=args.strict)
    server = reference_target(args.api)
    # A case about one side of the connection (an opening-handshake case) runs in the
    # phase that tests that side only.
    server_cases = [case for case in cases if case.applies_to_role("server")]
    client_cases = [case for case in cases if case.applies_to_role("client")]
    print(f"reference server at {server.url}; running {len(server_cases)} cases", flush=True)

    def gate(report: Report) -> int:
        for exemption in EXEMPTIONS.values():
            print(f"exempted {exemption.case_id}: {exemption.rfc}: {exemption.reason}")
        return run_gate(report, Outcome.INFORMATIONAL, accepted(AGENT), compare=False)

    # SIGTERM ends the run as SIGINT does; the server is stopped whatever happens.
    status = run_started(
        server, Target(server.url), server_cases, agent=AGENT, jobs=args.jobs, options=options,
        outdir=outdir, formats=FORMATS, ready_timeout=_START_TIMEOUT, gate=gate,
        prog="conformance",
    )  # fmt: skip
    if status >= 128:  # interrupted: the signal's exit status, no client phase
        return status
    # The second phase: the reference client against test-client, into OUTDIR/clients/.
    try:
        clients = check_outdir(pathlib.Path(args.outdir) / "clients")
    except UsageError as exc:
        return _fail(str(exc))
    return max(status, run_client_phase(client_cases, clients, options, api=args.api))
