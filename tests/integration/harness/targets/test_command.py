"""``--target-cmd``: a real process in its own session, started, watched and stopped.

Readiness is a WebSocket handshake (an HTTP server that accepts TCP is not ready); a
process killed mid-run is restarted and only the case it interrupted is an ERROR; the
whole process group is gone after the run, after SIGINT too; the output is written
beside the report.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.harness.targets.kill import assert_restarted, run_and_kill
from tests.integration.harness.test_interrupts_and_options import (
    alive,
    children,
    read_until,
    wsconform,
)
from tests.timing import unit
from wsconform.harness.targets.command import CommandTarget
from wsconform.harness.targets.exceptions import TargetStartError

pytestmark = pytest.mark.integration

SERVER = (
    f"{sys.executable} -m wsconform.harness.cli reference-server --host 127.0.0.1 --port {{port}}"
)
CLI = [sys.executable, "-m", "wsconform.harness.cli"]


def test_a_subset_through_target_cmd_gets_verdicts_and_logs(tmp_path: pathlib.Path) -> None:
    done = wsconform(
        "test-server", "--target-cmd", SERVER, "--cases", "1.*,2.*", "--outdir", str(tmp_path),
        "--agent", "cmd", "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["cmd"]) == 27
    assert {v["behavior"] for v in index["cmd"].values()} == {"OK"}
    assert (tmp_path / "cmd_target.log").read_text().startswith("listening on ws://127.0.0.1:")
    assert '<a href="cmd_target.log">' in (tmp_path / "index.html").read_text()


def test_a_killed_command_is_restarted_and_its_case_is_an_error() -> None:
    server = CommandTarget(SERVER)
    with server:
        first = server.pid
        report, supervisor, killed, cases = run_and_kill(server, server.kill, unit(30))
        assert server.pid != first
    assert_restarted(report, supervisor, killed, cases)
    assert "killed by SIGKILL" in supervisor.deaths[0]
    assert "[wsconform] restarting" in server.logs()


def test_readiness_is_a_websocket_handshake_not_a_tcp_accept() -> None:
    http = CommandTarget(f"{sys.executable} -m http.server --bind 127.0.0.1 {{port}}")
    begin = time.monotonic()
    with pytest.raises(TargetStartError, match="completed no WebSocket handshake in 2 s"):
        try:
            http.start(unit(2))
        finally:
            http.stop()
    assert time.monotonic() - begin < unit(10)
    assert not http.alive()


def test_a_command_that_exits_is_one_line_and_exit_2(tmp_path: pathlib.Path) -> None:
    command = f"{sys.executable} -c \"import sys; print('no config file'); sys.exit(3)\""
    done = wsconform("test-server", "--target-cmd", command, "--outdir", str(tmp_path))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.endswith("exited (exit status 3): no config file"), line


def test_stop_kills_the_whole_process_group() -> None:
    # A child the command leaves behind is in its process group: stop() ends it too.
    server = CommandTarget(["/bin/sh", "-c", f"sleep 300 & exec {SERVER}"])
    with server:
        assert server.pid is not None
        assert os.getpgid(server.pid) == server.pid
        sleeper = _sleep_in(server.pid)
    assert not alive(server.pid)
    assert not alive(sleeper)


def _sleep_in(pgid: int) -> int:
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid and int(entry.name) != pgid:
                    return int(entry.name)
            except ProcessLookupError:
                continue
    raise AssertionError("the sleep child is not in the group")


def test_stop_kills_a_command_that_ignores_term() -> None:
    server = CommandTarget(["/bin/sh", "-c", f"trap '' TERM; {SERVER}; sleep 300"], stop_grace=0.5)
    with server:
        pid = server.pid
        assert pid is not None
    assert not alive(pid)


def test_sigint_stops_the_command_and_writes_a_partial_report(tmp_path: pathlib.Path) -> None:
    process = subprocess.Popen(
        [*CLI, "test-server", "--target-cmd", SERVER, "--cases", "9.*", "-j", "1",
         "--outdir", str(tmp_path), "--agent", "cmd"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        read_until(process, "[ 1/54]", unit(60))
        [server] = children(process.pid)
        assert os.getsid(server) == server, "the command runs in its own session"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    deadline = time.monotonic() + unit(10)
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server), "the command outlived the run"
    errors = json.loads((tmp_path / "harness_errors.json").read_text())
    assert any(e["message"].startswith("interrupted by SIGINT") for e in errors)
    assert (tmp_path / "cmd_target.log").exists()


def test_a_command_target_from_a_configuration_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "wsconform.toml").write_text(
        f'cases = ["2.*"]\noutdir = "out"\nagent = "cfg"\nquiet = true\n'
        f"[target]\ncommand = {json.dumps(SERVER)}\n[gate]\nfail-on = 'non-strict'\n"
    )
    done = subprocess.run(
        [*CLI, "test-server", "--cases", "1.1.1,2.1"], cwd=tmp_path, capture_output=True,
        text=True, timeout=unit(60), check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "gate: pass (--fail-on non-strict, exit 0)" in done.stdout
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert sorted(index["cfg"]) == ["1.1.1", "2.1"], "--cases overrides the file's"


def test_a_server_that_crashes_on_a_case_does_not_spoil_the_run(tmp_path: pathlib.Path) -> None:
    # 1.1.2 sends a text message of 125 bytes: the first server crashes on it.
    marker = tmp_path / "crashed"
    command = f"{sys.executable} -m tests.peers.crashing {{port}} 125 {marker}"
    done = wsconform(
        "test-server", "--target-cmd", command, "--cases", "1.1.*", "-j", "1", "-q",
        "--agent", "crashing", "--outdir", str(tmp_path / "out"),
    )  # fmt: skip
    assert marker.exists()
    assert done.returncode == 2, "a harness error: the case has no verdict"
    errors = json.loads((tmp_path / "out" / "harness_errors.json").read_text())
    assert [(e["case"], "died during the case (exit status 70)" in e["message"])
            for e in errors] == [("1.1.2", True)]  # fmt: skip
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert sorted(index["crashing"]) == [f"1.1.{i}" for i in (1, 3, 4, 5, 6, 7, 8)]
    assert {v["behavior"] for v in index["crashing"].values()} == {"OK"}
    log = (tmp_path / "out" / "crashing_target.log").read_text()
    assert "crashing on a message of 125 bytes" in log
    assert "[wsconform] restarting" in log
