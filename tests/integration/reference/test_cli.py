"""``wsconform reference-server`` and ``reference-client`` as real subprocesses."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
import trustme
import websockets.exceptions
import websockets.sync.client

from tests.timing import unit
from wsconform.reference.protocol.http import Request, Response
from wsconform.reference.sync import Server, ServerConnection, serve

CLI = [sys.executable, "-m", "wsconform.harness.cli"]
APIS = ["asyncio", "sync"]


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first line of stdout, or fail after ``timeout`` seconds."""
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()))  # type: ignore[union-attr]
    reader.daemon = True
    reader.start()
    reader.join(timeout)
    if not lines:
        process.kill()
        pytest.fail(f"no line within {timeout} s; stderr: {process.communicate()[1]}")
    return lines[0]


@contextlib.contextmanager
def reference_server(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``wsconform reference-server``; yield the process and its URI."""
    process = subprocess.Popen(
        [*CLI, "reference-server", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(process, unit(20))
        assert line.startswith("listening on "), line
        yield process, line.removeprefix("listening on ").strip()
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=unit(10))


# --- reference-server ----------------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_server_echoes_text_binary_and_1_mib(api: str) -> None:
    with reference_server("--api", api) as (_, uri):
        assert uri.startswith("ws://127.0.0.1:") and not uri.endswith(":0")
        # max_size=None: deflated random data is a bit bigger than 1 MiB on the wire.
        with websockets.sync.client.connect(uri, max_size=None) as ws:
            ws.send("text")
            assert ws.recv(timeout=unit(5)) == "text"
            ws.send(b"\x00\xffbinary")
            assert ws.recv(timeout=unit(5)) == b"\x00\xffbinary"
            big = os.urandom(2**20)
            ws.send(big)
            assert ws.recv(timeout=unit(10)) == big
            ws.send(["frag", "ments"])
            assert ws.recv(timeout=unit(5)) == "fragments"
            assert ws.response is not None
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
            assert "permessage-deflate" in extensions


@pytest.mark.parametrize("api", APIS)
def test_server_without_compression(api: str) -> None:
    with (
        reference_server("--api", api, "--no-compression") as (_, uri),
        websockets.sync.client.connect(uri) as ws,
    ):
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("x" * 5000)
        assert ws.recv(timeout=unit(5)) == "x" * 5000


def test_server_accepts_16_mib_by_default_and_honours_max_size() -> None:
    with (
        reference_server() as (_, uri),
        websockets.sync.client.connect(uri, max_size=None) as ws,
    ):
        big = b"\x2a" * 16 * 2**20
        ws.send(big)
        assert ws.recv(timeout=unit(30)) == big
    with (
        reference_server("--max-size", "1000") as (_, uri),
        websockets.sync.client.connect(uri) as ws,
    ):
        with pytest.raises(websockets.exceptions.ConnectionClosedError) as info:
            # The server may fail the connection before send() has returned.
            ws.send(b"x" * 1001)
            ws.recv(timeout=unit(5))
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009


@pytest.mark.parametrize("api", APIS)
def test_server_tls(api: str, tmp_path: pathlib.Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    with reference_server("--api", api, "--certfile", str(certfile), "--keyfile", str(keyfile)) as (
        _,
        uri,
    ):
        assert uri.startswith("wss://127.0.0.1:")
        with websockets.sync.client.connect(uri, ssl=context) as ws:
            ws.send("secure")
            assert ws.recv(timeout=unit(5)) == "secure"


@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_server_signal_closes_with_1001_and_exits_0(api: str, signum: int) -> None:
    with reference_server("--api", api) as (process, uri):
        stack = contextlib.ExitStack()
        clients = [stack.enter_context(websockets.sync.client.connect(uri)) for _ in range(2)]
        clients[0].send("ping")
        assert clients[0].recv(timeout=unit(5)) == "ping"
        started = time.monotonic()
        process.send_signal(signum)
        for ws in clients:
            with pytest.raises(websockets.exceptions.ConnectionClosedOK):
                ws.recv(timeout=unit(5))
            assert ws.close_code == 1001
        assert process.wait(unit(10)) == 0
        assert time.monotonic() - started < unit(5)
        stack.close()


def test_server_port_in_use_exits_2() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [*CLI, "reference-server", "--port", str(port)],
            check=False,
            capture_output=True,
            text=True,
            timeout=unit(20),
        )
    assert result.returncode == 2
    assert "cannot listen" in result.stderr


def test_server_missing_certificate_exits_2(tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [*CLI, "reference-server", "--port", "0", "--certfile", str(tmp_path / "none.pem")],
        check=False,
        capture_output=True,
        text=True,
        timeout=unit(20),
    )
    assert result.returncode == 2
    assert "certificate" in result.stderr


# --- reference-client against an in-test fuzzing server ------------------------------


def _case_text(ws: ServerConnection) -> bool:
    ws.send("Hello, world")
    return ws.recv(timeout=unit(5)) == "Hello, world"


def _case_binary(ws: ServerConnection) -> bool:
    payload = bytes(range(256))
    ws.send(payload)
    return ws.recv(timeout=unit(5)) == payload


def _case_fragmented(ws: ServerConnection) -> bool:
    ws.send(["frag", "men", "ted"])
    return ws.recv(timeout=unit(5)) == "fragmented"


def _case_big(ws: ServerConnection) -> bool:
    payload = b"\xfe" * (4 * 2**20)
    ws.send(payload)
    return ws.recv(timeout=unit(10)) == payload


def _case_ping(ws: ServerConnection) -> bool:
    return ws.ping(b"autobahn").wait(unit(5))


def _case_many(ws: ServerConnection) -> bool:
    for i in range(100):
        ws.send(str(i))
    return [ws.recv(timeout=unit(5)) for _ in range(100)] == [str(i) for i in range(100)]


CASES: list[Callable[[ServerConnection], bool]] = [
    _case_text,
    _case_binary,
    _case_fragmented,
    _case_big,
    _case_ping,
    _case_many,
]


def _split(target: str) -> tuple[str, dict[str, str]]:
    """Path and query parameters; a repeated parameter is refused, as Autobahn does."""
    path, _, query = target.partition("?")
    pairs = urllib.parse.parse_qsl(query)
    params = dict(pairs)
    if len(params) != len(pairs):
        raise ValueError("repeated query parameter")
    return path, params


@dataclass
class FuzzingServer:
    """The three endpoints of Autobahn's fuzzing server (docs/autobahn.md section 9.5), on ours."""

    count_message: str = str(len(CASES))
    results: dict[tuple[str, int], bool] = field(default_factory=dict)
    updated: list[str] = field(default_factory=list)
    user_agents: list[str] = field(default_factory=list)

    def process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path, params = _split(request.path)
        self.user_agents.append(request.headers.get("User-Agent") or "")
        if path == "/runCase":
            case = params.get("case", "")
            if not case.isdigit() or not 1 <= int(case) <= len(CASES) or "agent" not in params:
                return ws.respond(400, "bad case or agent\n")
        elif path == "/updateReports":
            if "agent" not in params:
                return ws.respond(400, "agent missing\n")
        elif path != "/getCaseCount":
            return ws.respond(404, "no such endpoint\n")
        return None

    def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        path, params = _split(ws.request.path)
        if path == "/getCaseCount":
            ws.send(self.count_message)
        elif path == "/runCase":
            case = int(params["case"])
            try:
                passed = CASES[case - 1](ws)
            except Exception:
                passed = False
            self.results[params["agent"], case] = passed
        else:
            self.updated.append(params["agent"])


@contextlib.contextmanager
def fuzzing_server(fuzzer: FuzzingServer) -> Iterator[str]:
    server: Server = serve(
        fuzzer.handler,
        "127.0.0.1",
        0,
        process_request=fuzzer.process_request,
        max_size=None,
        close_timeout=unit(2),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}"
    finally:
        server.shutdown()
        thread.join(unit(5))


def _client(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "reference-client", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=unit(timeout),
    )


@pytest.mark.parametrize("api", APIS)
def test_client_runs_every_case_and_updates_reports(api: str) -> None:
    fuzzer = FuzzingServer()
    with fuzzing_server(fuzzer) as base:
        result = _client(base, "--agent", "ref agent", "--api", api, "--timeout", str(unit(10)))
    assert result.returncode == 0, result.stderr
    assert fuzzer.results == {("ref agent", i): True for i in range(1, len(CASES) + 1)}
    assert fuzzer.updated == ["ref agent"]
    assert f"case {len(CASES)}/{len(CASES)}" in result.stdout


def test_client_cases_option_limits_the_run() -> None:
    fuzzer = FuzzingServer()
    with fuzzing_server(fuzzer) as base:
        result = _client(base + "/", "--agent", "A", "--cases", "2")
    assert result.returncode == 0, result.stderr
    assert sorted(fuzzer.results) == [("A", 1), ("A", 2)]
    assert fuzzer.updated == ["A"]


@pytest.mark.parametrize("api", APIS)
def test_client_unreachable_base_url_exits_2(api: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens on it
    started = time.monotonic()
    result = _client(f"ws://127.0.0.1:{port}", "--agent", "A", "--api", api)
    assert result.returncode == 2
    assert "cannot reach" in result.stderr
    assert time.monotonic() - started < unit(20)


def test_client_misbehaving_server_exits_2() -> None:
    fuzzer = FuzzingServer(count_message="not a number")
    with fuzzing_server(fuzzer) as base:
        result = _client(base, "--agent", "A")
    assert result.returncode == 2
    assert "does not behave like a fuzzing server" in result.stderr
    assert fuzzer.results == {}


def test_client_goes_on_past_a_refused_case() -> None:
    # Refusing an answer is what the client does in the opening-handshake cases (hc.*):
    # the driver notes it and runs the next case.
    fuzzer = FuzzingServer(count_message=str(len(CASES) + 1))  # one case too many
    with fuzzing_server(fuzzer) as base:
        result = _client(base, "--agent", "A")
    assert result.returncode == 0, result.stderr
    assert f"case {len(CASES) + 1}/{len(CASES) + 1}: closed with None (handshake refused" in (
        result.stdout
    )
    assert len(fuzzer.results) == len(CASES)
    assert fuzzer.updated == ["A"]


def test_client_invalid_base_url_exits_2() -> None:
    result = _client("http://127.0.0.1:1", "--agent", "A")
    assert result.returncode == 2
    assert "invalid BASE_URL" in result.stderr
