"""The second phase of ``make test-conformance``: the reference client against ``test-client``.

:func:`run_client_phase` serves the cases in this process (the fuzzing server of
:mod:`wsconform.harness.runner.fuzzing` on a free port of 127.0.0.1), runs ``wsconform
reference-client URL --agent wsconform-reference-client -j 4`` in a subprocess (its own
session, under a deadline), writes ``<outdir>/clients/`` from the results, and returns
the gate's exit status at ``--fail-on informational``: every case must be OK, or
INFORMATIONAL where the case is informational.
"""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
import sys
import time
from collections.abc import Sequence

from wsconform.cases.model import Case
from wsconform.harness.gate import run_gate
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.model import HarnessError, Report
from wsconform.harness.report.render import FORMATS
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.exemptions import accepted
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.wire.server import serve
from wsconform.reference.asyncio.loop import run as run_loop

from .test_server import finish

__all__ = ["CLIENT_AGENT", "CLIENT_DEADLINE", "CLIENT_JOBS", "run_client_phase"]

#: The agent name of the reference client in the reports.
CLIENT_AGENT = "wsconform-reference-client"

#: Longest run of the reference client over the whole catalog, in seconds.
CLIENT_DEADLINE = 3600.0

#: Cases the reference client runs at once (its asyncio front end).
CLIENT_JOBS = 4

_STOP_TIMEOUT = 10.0


async def _drive(server: FuzzingServer, *, api: str, jobs: int, deadline: float) -> str | None:
    """Serve, run the reference client to its end; ``None``, or what went wrong."""
    listener = await serve(server.route, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    url = f"ws://127.0.0.1:{port}"
    print(f"reference client against {url}; running {len(server.cases)} cases", flush=True)
    command = [
        sys.executable, "-m", "wsconform.harness.cli", "reference-client", url,
        "--agent", CLIENT_AGENT, "--api", api,
    ]  # fmt: skip
    if api == "asyncio":
        command += ["-j", str(jobs)]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    problem: str | None = None
    try:
        async with asyncio.timeout(deadline):
            _out, errors = await process.communicate()
        if process.returncode != 0:
            last = errors.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
            problem = f"the reference client exited with {process.returncode}: {last[0]}"
    except TimeoutError:
        problem = f"the reference client did not finish within {deadline:g} s"
    finally:
        if process.returncode is None:
            process.kill()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_STOP_TIMEOUT):
                    await process.wait()
        listener.close()
        await server.drain(_STOP_TIMEOUT)
    return problem


def run_client_phase(
    cases: Sequence[Case],
    outdir: pathlib.Path,
    options: RunOptions,
    *,
    api: str = "asyncio",
    jobs: int = CLIENT_JOBS,
    deadline: float = CLIENT_DEADLINE,
) -> int:
    """Run the catalog against the reference client; write ``outdir``; return the gate's
    exit status (2 when the client did not run through)."""
    report = Report()
    begin = time.monotonic()

    async def main() -> str | None:
        # The reports are written once, below, from everything that finished.
        server = FuzzingServer(
            cases, options=options, update_reports=lambda _agent: None, report=report
        )
        return await _drive(server, api=api, jobs=jobs, deadline=deadline)

    problem = run_loop(main())
    if problem is not None:
        print(f"wsconform conformance: {problem}", file=sys.stderr, flush=True)
        report.add_error(HarnessError(CLIENT_AGENT, None, problem))
    if finish(report, outdir, FORMATS, time.monotonic() - begin) is None:
        return 2
    return run_gate(report, Outcome.INFORMATIONAL, accepted(CLIENT_AGENT), compare=False)
