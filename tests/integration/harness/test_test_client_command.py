"""``wsconform test-client`` end to end: a real process, real sockets, a real client.

``--port 0`` prints the URL; bad requests are answered with a reason and the server
goes on; the reference client runs a section; ``--once`` exits after
``/updateReports`` with the reports written (``isServer: true``) and the gate's status;
SIGINT writes what finished; a port that cannot be bound is one line and exit 2.
"""

from __future__ import annotations

import json
import pathlib
import re
import signal
import socket
import subprocess
import sys

from tests.timing import unit

CLI = [sys.executable, "-m", "wsconform.harness.cli"]


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*CLI, "test-client", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"ws://127\.0\.0\.1:\d+", line)
    if match is None:
        process.kill()
        raise AssertionError(f"no URL in {line!r}: {process.communicate()}")
    return process, match.group(0)


def raw_request(url: str, path: str) -> bytes:
    host, port = url.removeprefix("ws://").split(":")
    with socket.create_connection((host, int(port)), timeout=unit(5)) as sock:
        sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


def test_once_bad_requests_and_the_reference_client(tmp_path: pathlib.Path) -> None:
    process, url = start("--cases", "1.1.*,2.1", "--once", "--outdir", str(tmp_path))
    try:
        answer = raw_request(url, "/nope")
        assert answer.startswith(b"HTTP/1.1 404 ")
        assert b"unknown endpoint '/nope'" in answer
        answer = raw_request(url, "/runCase?case=99&agent=x")
        assert answer.startswith(b"HTTP/1.1 400 ") and b"case 99 not found" in answer
        client = subprocess.run(
            [*CLI, "reference-client", url, "--agent", "ref"],
            capture_output=True, text=True, timeout=unit(60), check=False,
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, (out, err)
    assert "unknown endpoint" in err  # logged too
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index["ref"]) == ["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6",
                                    "1.1.7", "1.1.8", "2.1"]  # fmt: skip
    assert {entry["behavior"] for entry in index["ref"].values()} == {"OK"}
    case = json.loads((tmp_path / index["ref"]["1.1.1"]["reportfile"]).read_text())
    assert case["isServer"] is True
    assert case["case"] == 1


def test_sigint_writes_what_finished(tmp_path: pathlib.Path) -> None:
    process, url = start("--cases", "1.1.1", "--outdir", str(tmp_path))
    try:
        client = subprocess.run(
            [*CLI, "reference-client", url, "--agent", "ref"],
            capture_output=True, text=True, timeout=unit(60), check=False,
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, (out, err)
    assert "Traceback" not in err
    index = json.loads((tmp_path / "index.json").read_text())
    assert index["ref"]["1.1.1"]["behavior"] == "OK"


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: pathlib.Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*CLI, "test-client", "--port", str(port), "--outdir", str(tmp_path)],
            capture_output=True, text=True, timeout=unit(30), check=False,
        )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"wsconform test-client: cannot listen on 127.0.0.1:{port}")


def test_two_agents_at_once_with_parallel_cases(tmp_path: pathlib.Path) -> None:
    process, url = start("--cases", "1.1.*,2.*", "--outdir", str(tmp_path), "-q")
    try:
        drivers = [
            subprocess.Popen(
                [*CLI, "reference-client", url, "--agent", agent, "-j", "4"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for agent in ("one", "two")
        ]
        for driver in drivers:
            _out, err = driver.communicate(timeout=unit(60))
            assert driver.returncode == 0, err
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, (out, err)
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index) == ["one", "two"]
    for agent in ("one", "two"):
        assert len(index[agent]) == 8 + 11
        assert {entry["behavior"] for entry in index[agent].values()} == {"OK"}
