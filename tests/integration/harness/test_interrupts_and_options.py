"""Bad options end the run before any case; an interrupted run leaves a partial report.

The real command in its own process: every bad timer or CA file is one line on stderr
and exit 2; a 300-character agent name is written; ``wss://`` to a plain server says the
TLS handshake failed; SIGINT and SIGTERM write the finished cases, marked interrupted in
every format, and exit 130 and 143; ``conformance`` stops its reference server on
SIGTERM.
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

from tests.peers.hostile import SilentPeer, hostile_in_thread
from tests.timing import unit
from wsconform.harness.commands.conformance import reference_server

CLI = [sys.executable, "-m", "wsconform.harness.cli"]


def wsconform(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=unit(timeout), check=False
    )


@pytest.mark.parametrize(
    "option", ["--connect-timeout", "--open-timeout", "--close-timeout", "--drop-timeout"]
)
@pytest.mark.parametrize("value", ["-20", "0", "nan", "inf"])
def test_a_timer_must_be_finite_and_above_zero(
    option: str, value: str, tmp_path: pathlib.Path
) -> None:
    done = wsconform("test-server", "ws://127.0.0.1:9/", option, value, "--outdir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"wsconform test-server: {option} must be a finite number of seconds above 0, "
        f"not {float(value)}"
    ]
    assert not list(tmp_path.iterdir())


def test_a_missing_or_bad_ca_file_is_one_line(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "missing.pem"
    done = wsconform("test-server", "wss://127.0.0.1:9/", "--cafile", str(missing))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"wsconform test-server: --cafile {missing}: no such file"]
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    done = wsconform("test-server", "wss://127.0.0.1:9/", "--cafile", str(junk))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"wsconform test-server: --cafile {junk}: not PEM CA certificates")


def test_a_300_character_agent_is_reported_and_wss_to_a_plain_server_says_tls(
    tmp_path: pathlib.Path,
) -> None:
    agent = "A very long agent name " * 13
    with reference_server() as url:
        done = wsconform(
            "test-server", url, "--agent", agent, "--cases", "1.1.1", "--outdir", str(tmp_path)
        )
        secure = wsconform(
            "test-server", url.replace("ws://", "wss://"), "--insecure", "--outdir",
            str(tmp_path / "tls"), "--connect-timeout", "1",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    reportfile = index[agent]["1.1.1"]["reportfile"]
    assert (tmp_path / reportfile).is_file()
    assert (tmp_path / reportfile.replace(".json", ".html")).is_file()
    assert secure.returncode == 2
    [line] = secure.stderr.splitlines()
    assert "TLS handshake failed" in line, line


def read_until(process: subprocess.Popen[str], prefix: str, timeout: float) -> list[str]:
    """Lines of the process's stdout up to the first that starts with ``prefix``."""
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"no line starting with {prefix!r} within {timeout:g} s: {lines}")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_writes_a_partial_report(
    signum: signal.Signals, tmp_path: pathlib.Path
) -> None:
    cases = "1.1.1,2.1,3.1,5.1,7.1.1,7.1.2,7.1.3"
    with hostile_in_thread(SilentPeer) as url:
        process = subprocess.Popen(
            [*CLI, "test-server", url, "--agent", "silent", "--outdir", str(tmp_path),
             "--cases", cases, "-j", "1", "--close-timeout", "0.5", "--drop-timeout", "0.5"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            read_until(process, "[1/7]", unit(30))
            process.send_signal(signum)
            _out, err = process.communicate(timeout=unit(30))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 128 + signum
    index = json.loads((tmp_path / "index.json").read_text())
    finished = index["silent"]
    assert 1 <= len(finished) < 7
    for entry in finished.values():
        assert json.loads((tmp_path / entry["reportfile"]).read_text())["agent"] == "silent"
    errors = json.loads((tmp_path / "harness_errors.json").read_text())
    # One run-level error marks the report partial; a case cut off while it ran is an
    # ERROR of its own, never a verdict.
    [error] = [e for e in errors if e["case"] is None]
    assert all("neither finished" in e["message"] for e in errors if e["case"] is not None)
    assert error["message"].startswith(f"interrupted by {signum.name}: partial report, ")
    assert f"{len(finished)} of 7 cases finished" in error["message"]
    assert error["message"] in err
    for name in ("index.html", "junit.xml", "summary.md"):
        assert f"interrupted by {signum.name}" in (tmp_path / name).read_text(), name


def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_sigterm_to_conformance_stops_the_reference_server(tmp_path: pathlib.Path) -> None:
    process = subprocess.Popen(
        [*CLI, "conformance", "--outdir", str(tmp_path), "--cases", "9.*", "-j", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # The 9.x cases take half a second or more each against the reference server.
        read_until(process, "[ 1/54]", unit(60))
        [server] = children(process.pid)
        assert os.getsid(server) == server, "the server runs in its own session"
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 143, err
    deadline = time.monotonic() + unit(10)
    while alive(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(server), "the reference server outlived the conformance job"
    errors = json.loads((tmp_path / "servers" / "harness_errors.json").read_text())
    [error] = [e for e in errors if e["case"] is None]
    assert error["message"].startswith("interrupted by SIGTERM: partial report, ")
