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

The client may be one wsconform starts (``--client-cmd``, ``--client-image``:
:mod:`wsconform.harness.targets.clients`, :mod:`.started_client`): it is given the
server's URL (``{url}`` in its command, ``WSCONFORM_URL`` in its environment), the
server listens on a free port unless ``--port`` says otherwise, and the command ends
with the client's run (``docs/targets.md``); the reports are written once then, with
the client's output, and SIGINT or SIGTERM stop the client and write a partial report
(exit 130, 143). ``--spec`` reads Autobahn's
``fuzzingserver.json`` (:mod:`.server_spec`); command-line flags override it.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import pathlib
import signal
import ssl
import sys
import time
from collections.abc import Callable
from typing import Any

from wsconform.cases import catalog
from wsconform.cases.exceptions import CaseError
from wsconform.cases.model import Case
from wsconform.harness.gate import add_gate_arguments, apply_gate, result_fails
from wsconform.harness.report.model import CaseFinished, HarnessErrorRaised, Report, RunnerEvent
from wsconform.harness.report.render import add_report_arguments
from wsconform.harness.runner.config import RunOptions, Timeouts
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.targets.base import DEFAULT_STOP_GRACE, Terminated, sigterm_raises
from wsconform.harness.targets.clients import ClientTarget, CommandClient, DockerClient
from wsconform.harness.targets.exceptions import TargetError
from wsconform.harness.targets.options import parse_env
from wsconform.harness.wire.server import serve
from wsconform.reference.asyncio.loop import run as run_loop

from .case_options import UsageError, add_case_arguments, cases_from_args
from .server_spec import ServerSpec, load_server_spec
from .spec import SpecError
from .started_client import DEFAULT_CLIENT_TIMEOUT, UNKNOWN_CLIENT, Watch
from .test_server import (
    check_baseline,
    check_outdir,
    check_testdata,
    check_timer,
    finish,
    interrupted_error,
)

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
        "--port",
        type=int,
        help=f"port, 0 for any (default: a --spec file's url, else {DEFAULT_PORT}; "
        "any with a client wsconform starts)",
    )
    add_case_arguments(parser)
    parser.add_argument(
        "--outdir",
        help=f"report directory (default: a --spec file's outdir, else {DEFAULT_OUTDIR})",
    )
    parser.add_argument(
        "--spec",
        metavar="FILE",
        help="Autobahn's fuzzingserver.json: url (its port), outdir, cases, exclude-cases, "
        "exclude-agent-cases (docs/migrating-from-autobahn.md)",
    )
    parser.add_argument("--once", action="store_true", help="exit after the first /updateReports")
    parser.add_argument(
        "--tls-cert",
        metavar="FILE",
        help="serve wss://: the PEM certificate chain (default: a wss:// --spec file's cert)",
    )
    parser.add_argument(
        "--tls-key",
        metavar="FILE",
        help="serve wss://: the certificate's PEM private key (default: the --spec file's key)",
    )
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
    _add_client_arguments(parser)
    add_report_arguments(parser)
    add_gate_arguments(parser)
    parser.set_defaults(handler=run)


def _add_client_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("clients wsconform starts (docs/targets.md)")
    kinds = group.add_mutually_exclusive_group()
    kinds.add_argument(
        "--client-cmd",
        metavar="COMMAND",
        help="start the client's test driver with COMMAND ({url} and $WSCONFORM_URL: "
        "the server's URL); the run ends with it",
    )
    kinds.add_argument(
        "--client-image", metavar="IMAGE", help="run the client's test driver from IMAGE"
    )
    group.add_argument(
        "--client-command", metavar="COMMAND", help="the container's command ({url} too)"
    )
    group.add_argument(
        "--env",
        dest="client_env",
        action="append",
        metavar="NAME=VALUE",
        help="environment of the command or container (repeatable)",
    )
    group.add_argument(
        "--agent",
        help="the agent name the started client uses, for the cases it never ran "
        f"(default: the names it used, else {UNKNOWN_CLIENT})",
    )
    group.add_argument(
        "--run-id", metavar="ID", help="name the container wsconform-ID (default: random)"
    )
    group.add_argument(
        "--client-timeout",
        type=float,
        default=DEFAULT_CLIENT_TIMEOUT,
        help="seconds the started client may run before it is stopped (default: %(default)g)",
    )
    group.add_argument(
        "--stop-grace",
        type=float,
        default=DEFAULT_STOP_GRACE,
        help="seconds between TERM and KILL, and after /updateReports (default: %(default)g)",
    )


def _build_client(args: argparse.Namespace) -> ClientTarget | None:
    """The client the options name, or ``None``.

    Raises:
        TargetError: bad client options.
    """
    env = parse_env(args.client_env)
    if args.client_cmd is not None:
        return CommandClient(args.client_cmd, env=env, stop_grace=args.stop_grace)
    if args.client_image is not None:
        return DockerClient(
            args.client_image,
            command=args.client_command,
            env=env,
            run_id=args.run_id,
            stop_grace=args.stop_grace,
        )
    for option, value in (("--client-command", args.client_command), ("--agent", args.agent),
                          ("--env", args.client_env), ("--run-id", args.run_id)):  # fmt: skip
        if value is not None:
            raise TargetError(f"{option} needs --client-cmd or --client-image")
    return None


def _skipper(spec: ServerSpec | None) -> Callable[[str, str], bool] | None:
    """Autobahn's ``exclude-agent-cases`` rule for the spec's patterns, or ``None``.

    Raises:
        UsageError: a pattern does not compile.
    """
    if spec is None or not spec.exclude_agent:
        return None
    table = {agent: list(patterns) for agent, patterns in spec.exclude_agent}
    try:
        for agent, patterns in table.items():
            for pattern in [agent, *patterns]:
                catalog.matches(pattern, "", whole=True)
    except CaseError as exc:
        raise UsageError(f"exclude-agent-cases: {exc}") from None

    def skipped(agent: str, case_id: str) -> bool:
        return catalog.agent_case_excluded(table, agent, case_id)

    return skipped


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
    args: argparse.Namespace,
    server: FuzzingServer,
    stop: asyncio.Event,
    watch: Watch | None,
    caught: list[int],
) -> int | None:
    """Listen, print the URL, serve until ``stop`` (or ``--once``, or the end of the
    started client's run); ``None`` on success, else the exit status. A signal's number
    goes into ``caught`` when a started client's run was interrupted."""
    try:
        listener = await serve(
            server.route, args.host, args.port, timeout=server.options.timeouts.open_handshake,
            log=_log, ssl_context=args.ssl_context,
        )  # fmt: skip
    except OSError as exc:
        _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
        return EXIT_USAGE
    port = listener.sockets[0].getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"{'wss' if args.ssl_context is not None else 'ws'}://{host}:{port}"
    print(
        f"wsconform test-client: {len(server.cases)} cases at {url} (reports in {args.outdir}/)",
        flush=True,
    )
    loop = asyncio.get_running_loop()
    handled = (signal.SIGINT, signal.SIGTERM)

    def interrupt(signum: int) -> None:
        if not caught:
            caught.append(signum)
        stop.set()

    for signum in handled:
        loop.add_signal_handler(signum, interrupt, signum)
    status: int | None = None
    try:
        if watch is not None:
            try:
                await watch.run(url, stop, lambda: bool(server.running))
            except TargetError as exc:
                _fail(str(exc))
                status = EXIT_USAGE
        else:
            waits = [asyncio.ensure_future(stop.wait())]
            if args.once:
                waits.append(asyncio.ensure_future(server.updated.wait()))
            _done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            caught.clear()  # serving until a signal is the normal end
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
    return status


def tls_server_context(
    cert: str | None, key: str | None, names: tuple[str, str] = ("--tls-cert", "--tls-key")
) -> ssl.SSLContext | None:
    """The TLS context of ``--tls-cert`` and ``--tls-key`` (both or neither); ``None``
    when neither is given. ``names`` are what the messages call the two (a spec file's
    ``cert`` and ``key``).

    Raises:
        UsageError: one without the other, a missing file, not PEM, or a key that does
            not belong to the certificate.
    """
    if cert is None and key is None:
        return None
    cert_name, key_name = names
    if cert is None or key is None:
        given, missing = (cert_name, key_name) if key is None else (key_name, cert_name)
        raise UsageError(f"{given} needs {missing} too")
    for name, file in ((cert_name, cert), (key_name, key)):
        if not pathlib.Path(file).is_file():
            raise UsageError(f"{name} {file}: no such file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
        raise UsageError(
            f"{cert_name} {cert} {key_name} {key}: not a PEM certificate chain and its key "
            f"({reason})"
        ) from None
    return context


def _check(args: argparse.Namespace) -> tuple[list[Case], ServerSpec | None, ClientTarget | None]:
    """Check every option (and the spec file) before anything listens; fill in the
    defaults of ``--port``, ``--outdir`` and the TLS files; the cases, the spec and the
    client.

    Raises:
        UsageError, SpecError, TargetError: a bad option or spec file.
    """
    if args.jobs < 1:
        raise UsageError(f"-j must be at least 1, not {args.jobs}")
    check_timer("--client-timeout", args.client_timeout)
    check_timer("--stop-grace", args.stop_grace)
    spec = load_server_spec(args.spec) if args.spec is not None else None
    client = _build_client(args)
    if args.port is None:
        if spec is not None and spec.port is not None:
            args.port = spec.port
        else:
            args.port = 0 if client is not None else DEFAULT_PORT
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {args.port}")
    if args.outdir is None:
        args.outdir = spec.outdir if spec is not None and spec.outdir else DEFAULT_OUTDIR
    if spec is not None and spec.tls is not None and args.tls_cert is None and args.tls_key is None:
        names = (f"{args.spec}: cert", "key")
        args.ssl_context = tls_server_context(*spec.tls, names=names)
    else:
        args.ssl_context = tls_server_context(args.tls_cert, args.tls_key)
    if spec is not None:
        cases = cases_from_args(args, default=spec.cases, exclude=spec.exclude, target="client")
    else:
        cases = cases_from_args(args, target="client")
    return cases, spec, client


def run(args: argparse.Namespace) -> int:
    """The ``test-client`` command; returns the exit status."""
    try:
        cases, spec, client = _check(args)
        skipped = _skipper(spec)
        timeouts = dataclasses.replace(
            Timeouts(),
            open_handshake=check_timer("--open-timeout", args.open_timeout),
            close_handshake=check_timer("--close-timeout", args.close_timeout),
        )
        outdir: pathlib.Path = check_outdir(args.outdir)
        testdata = check_testdata(args.testdata)
        check_baseline(args)
    except (UsageError, SpecError, TargetError) as exc:
        return _fail(str(exc))
    options = RunOptions(timeouts=timeouts, testdata=testdata, strict=args.strict)
    report = Report()
    begin = time.monotonic()
    written: list[bool] = []
    # What the last /updateReports wrote: (results, harness errors).
    wrote: list[tuple[int, int]] = []
    watch = (
        Watch(client, timeout=args.client_timeout, grace=args.stop_grace, log=_log)
        if client is not None
        else None
    )
    show = _progress(args.quiet)

    def on_event(event: RunnerEvent) -> None:
        if watch is not None:
            watch.on_event(event)
        show(event)

    def update_reports(agent: str) -> None:
        _log(f"updating reports for {agent}")
        if watch is not None:
            # The run ends with the client's: the reports are written then, with its output.
            watch.on_update()
            return
        wrote[:] = [(len(report.results()), len(report.errors))]
        written.append(finish(report, outdir, args.formats, time.monotonic() - begin) is not None)

    caught: list[int] = []

    async def main() -> int | None:
        server = FuzzingServer(
            cases, options=options, update_reports=update_reports, jobs=args.jobs,
            report=report, on_event=on_event, log=_log, excluded=skipped,
            interrupted=watch.interrupted if watch is not None else None,
            protocols=spec.protocols if spec is not None else (),
        )  # fmt: skip
        return await _serve(args, server, asyncio.Event(), watch, caught)

    with sigterm_raises():
        try:
            status = run_loop(main())
        except Terminated:
            _fail("terminated by SIGTERM; the client is stopped")
            return 128 + signal.SIGTERM
        except KeyboardInterrupt:
            _fail("interrupted by SIGINT; the client is stopped")
            return 128 + signal.SIGINT
        finally:
            if client is not None:
                client.stop()
    if status is not None:
        return status
    if watch is not None and client is not None:
        _account(report, watch, client, cases, args, skipped, caught)
    # What finished after the last /updateReports (or all of it, without one).
    # (A started client's output is known only now: written again.)
    unchanged = watch is None and wrote == [(len(report.results()), len(report.errors))]
    if not unchanged and finish(report, outdir, args.formats, time.monotonic() - begin) is None:
        return EXIT_USAGE
    if not all(written):
        return EXIT_USAGE
    if caught:
        return 128 + caught[0]
    return apply_gate(report, args)


def _account(  # noqa: PLR0917 - the run's parts, once
    report: Report,
    watch: Watch,
    client: ClientTarget,
    cases: list[Case],
    args: argparse.Namespace,
    skipped: Callable[[str, str], bool] | None,
    caught: list[int],
) -> None:
    """After a started client's run: its logs, its unrun cases, an interruption."""
    names = {
        *report.agents,
        *(e.agent for e in report.errors),
        *(e.agent for e in report.unfinished()),
    }
    if args.agent is not None:
        names.add(args.agent)
    agents = sorted(names) or [UNKNOWN_CLIENT]
    logs = client.logs()
    if logs:
        for agent in agents:
            report.target_logs[agent] = logs
    if caught:
        error = interrupted_error(report, agents[0], caught[0], len(cases))
        report.add_error(error)
        _log(error.message)
        return
    missing = watch.not_run(report, cases, agents, skipped or (lambda _agent, _case: False))
    if watch.failure is not None or missing:
        _log(f"{client.name} {watch.failure or 'ended'}: {missing} cases not run")
