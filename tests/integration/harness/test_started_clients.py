"""``test-client --client-cmd``: wsconform starts the client itself (``--client-image``
on a real Docker engine: ``targets/test_client_images.py``).

Real drivers (``tests/clients.py``: ``websockets``, ``websocket-client``) run against
the fuzzing server in real processes. A driver
that SIGKILLs itself mid-case gets a harness ERROR for that case and one for each case
it never ran (exit 2); a driver that never ends is stopped at ``--client-timeout`` with
its children; SIGINT stops it too; no process and no container is left behind.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.harness.test_interrupts_and_options import read_until
from tests.timing import unit

pytestmark = pytest.mark.integration

ROOT = pathlib.Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "wsconform.harness.cli"]
CASES_1_1 = [f"1.1.{i}" for i in range(1, 9)]


def driver(name: str, agent: str) -> str:
    """The command that runs one of ``tests/clients.py``'s drivers."""
    return shlex.join([sys.executable, "-m", "tests.clients", name, agent])


def run_client(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Any:
    return subprocess.run(
        [*CLI, "test-client", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=unit(timeout), check=False,
    )  # fmt: skip


def processes_marked(mark: str) -> list[int]:
    """The processes whose environment holds ``mark`` (a client and its children)."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return [pid for pid in found if pid != os.getpid()]


@pytest.fixture
def mark() -> Iterator[str]:
    """An environment entry (``NAME=VALUE``) marking the started client's processes;
    the test fails if one of them outlives it."""
    value = f"WSCONFORM_TEST_MARK={secrets.token_hex(8)}"
    yield value
    left = processes_marked(value)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


def errors(outdir: pathlib.Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((outdir / "harness_errors.json").read_text())
    return data


@pytest.mark.parametrize("name", ["websockets", "websocket-client"])
def test_a_real_client_driver_started_by_command(
    name: str, mark: str, tmp_path: pathlib.Path
) -> None:
    done = run_client(
        "--client-cmd", driver(name, name), "--env", mark, "--cases", "1.1.*,2.1",
        "--outdir", str(tmp_path), "-q",
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout, done.stderr)
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index[name]) == sorted([*CASES_1_1, "2.1"])
    assert {entry["behavior"] for entry in index[name].values()} == {"OK"}
    assert errors(tmp_path) == []
    # The driver's output is in the report, as a server target's is.
    assert (tmp_path / f"{name.replace('-', '_')}_target.log").read_text() == f"{name}: 9 cases\n"


def test_quick_failures_of_a_live_client_keep_their_verdicts(
    mark: str, tmp_path: pathlib.Path
) -> None:
    # Each failed case waits a moment for the client to be seen dead; those waits do not
    # count against -j, so a driver that fails case after case is never answered 503.
    done = run_client(
        "--client-cmd", driver("closer", "closer"), "--env", mark, "--cases", "1.*",
        "--outdir", str(tmp_path), "-q", "-j", "2",
    )  # fmt: skip
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "503" not in done.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["closer"]) == 16
    assert "FAILED" in {entry["behavior"] for entry in index["closer"].values()}
    assert errors(tmp_path) == []


def test_the_url_is_in_the_command_and_the_environment(mark: str, tmp_path: pathlib.Path) -> None:
    # {url} is substituted; WSCONFORM_URL holds the same URL.
    command = (
        f"{sys.executable} -c \"import os, sys; print(sys.argv[1] == os.environ['WSCONFORM_URL'],"
        f' sys.argv[1])" {{url}}'
    )
    done = run_client("--client-cmd", command, "--env", mark, "--cases", "1.1.1",
                       "--outdir", str(tmp_path), "--agent", "printer")  # fmt: skip
    assert done.returncode == 2
    log = (tmp_path / "printer_target.log").read_text()
    assert log.startswith("True ws://127.0.0.1:")
    [run, case] = sorted(errors(tmp_path), key=lambda e: e["case"] or "")
    assert run["case"] is None
    assert run["message"].endswith(
        "ended (exit status 0) before /updateReports: 1 of 1 cases not run"
    )
    assert case["case"] == "1.1.1" and case["message"].startswith("not run: the client command")


def test_a_driver_killed_mid_case(mark: str, tmp_path: pathlib.Path) -> None:
    done = run_client(
        "--client-cmd", driver("websockets-killed", "dies"), "--env", mark,
        "--cases", "1.1.*", "--outdir", str(tmp_path), "-q",
        env={"WSCONFORM_KILL_AT": "3"},
    )  # fmt: skip
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    # The cases before the kill have verdicts; the killed one is not FAILED: no verdict.
    assert {case: entry["behavior"] for case, entry in index["dies"].items()} == {
        "1.1.1": "OK", "1.1.2": "OK",
    }  # fmt: skip
    by_case = {e["case"]: e["message"] for e in errors(tmp_path)}
    assert "ended during the case (killed by SIGKILL)" in by_case["1.1.3"]
    for case in CASES_1_1[3:]:
        assert by_case[case].startswith("not run: "), case
        assert "(killed by SIGKILL) before /updateReports" in by_case[case]
    assert by_case[None].endswith("5 of 8 cases not run")


def test_a_client_that_never_ends_is_stopped_with_its_children(
    mark: str, tmp_path: pathlib.Path
) -> None:
    # A shell that leaves a child behind, both ignoring the URL: TERM to the group.
    begin = time.monotonic()
    done = run_client(
        "--client-cmd", "sh -c 'sleep 300 & sleep 300'", "--env", mark, "--cases", "1.1.1",
        "--client-timeout", "1", "--stop-grace", "1", "--agent", "idle",
        "--outdir", str(tmp_path),
    )  # fmt: skip
    assert time.monotonic() - begin < unit(20)
    assert done.returncode == 2, done.stderr
    by_case = {e["case"]: e["message"] for e in errors(tmp_path)}
    assert "was still running after 1 s (--client-timeout)" in by_case[None]
    assert by_case["1.1.1"].startswith("not run: ")
    # The ``mark`` fixture fails the test if the shell or its sleep is still there.


def test_sigint_stops_the_client_and_writes_what_finished(
    mark: str, tmp_path: pathlib.Path
) -> None:
    command = shlex.join([sys.executable, "-c", "print('ready', flush=True); import time; "
                          "time.sleep(300)"])  # fmt: skip
    process = subprocess.Popen(
        [*CLI, "test-client", "--client-cmd", command, "--env", mark, "--cases", "1.1.1",
         "--outdir", str(tmp_path), "--agent", "sleeper"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        read_until(process, "wsconform test-client: 1 cases at ws://", unit(30))
        deadline = time.monotonic() + unit(20)
        while not processes_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    messages = [e["message"] for e in errors(tmp_path)]
    assert any(m.startswith("interrupted by SIGINT: partial report") for m in messages)


def test_a_client_that_cannot_start_is_one_line_and_exit_2(tmp_path: pathlib.Path) -> None:
    done = run_client("--client-cmd", "/nonexistent/driver", "--outdir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "wsconform test-client: the client command '/nonexistent/driver' cannot be "
        "started: No such file or directory"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client-cmd", ""], "--client-cmd is empty"),
        (["--client-cmd", "'unclosed"], "--client-cmd \"'unclosed\": No closing quotation"),
        (["--agent", "x"], "--agent needs --client-cmd or --client-image"),
        (["--client-command", "x"], "--client-command needs --client-cmd or --client-image"),
        (["--client-cmd", "true", "--client-timeout", "0"],
         "--client-timeout must be a finite number of seconds above 0, not 0.0"),
    ],
)  # fmt: skip
def test_bad_client_options_are_one_line(
    args: list[str], message: str, tmp_path: pathlib.Path
) -> None:
    done = run_client(*args, "--outdir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"wsconform test-client: {message}"]
