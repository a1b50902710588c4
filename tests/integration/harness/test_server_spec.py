"""``test-client --spec fuzzingserver.json``: Autobahn's file as it is, several agents.

Two real drivers (``websockets``, then ``websocket-client``) run one after the other in
one started command; ``exclude-agent-cases`` keeps cases from the second agent (its
``/runCase`` is opened and closed at once, as in Autobahn) without any harness error;
the spec's port is where the server listens; command-line flags override the file.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import shlex
import subprocess
import sys

import pytest

from tests.integration.harness.test_started_clients import ROOT, run_client
from tests.timing import unit
from wsconform.harness.targets.base import free_port

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "wsconform.harness.cli"]


def write(tmp_path: pathlib.Path, data: object) -> pathlib.Path:
    path = tmp_path / "fuzzingserver.json"
    path.write_text(json.dumps(data))
    return path


def test_several_agents_and_agent_exclusions(tmp_path: pathlib.Path) -> None:
    outdir = tmp_path / "reports" / "clients"
    port = free_port()
    spec = write(tmp_path, {
        "url": f"ws://127.0.0.1:{port}",
        "outdir": str(outdir),
        "options": {"failByDrop": False},
        "webport": 8080,
        "cases": ["1.1.*", "2.*"],
        "exclude-cases": ["2.1"],
        "exclude-agent-cases": {"Sec*": ["1.*"], "First": ["2.1*"]},
    })  # fmt: skip
    drivers = " && ".join(
        shlex.join([sys.executable, "-m", "tests.clients", name, agent])
        for name, agent in (("websockets", "First"), ("websocket-client", "Second"))
    )
    done = run_client("--spec", str(spec), "--client-cmd", f"sh -c {shlex.quote(drivers)}", "-q")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert f"ws://127.0.0.1:{port}" in done.stdout
    index = json.loads((outdir / "index.json").read_text())
    assert sorted(index) == ["First", "Second"]
    # exclude-agent-cases patterns match whole ids: 2.1* is 2.10 and 2.11 (2.1 is gone).
    assert sorted(index["First"]) == sorted(
        [f"1.1.{i}" for i in range(1, 9)] + [f"2.{i}" for i in range(2, 10)]
    )
    assert sorted(index["Second"]) == sorted(f"2.{i}" for i in range(2, 12))
    assert {v["behavior"] for agent in index.values() for v in agent.values()} == {"OK"}
    assert json.loads((outdir / "harness_errors.json").read_text()) == []
    assert "skipping case 1 (1.1.1) for Second: excluded" in done.stderr


def test_the_spec_port_and_flags_that_override_the_file(tmp_path: pathlib.Path) -> None:
    port = free_port()
    spec = write(tmp_path, {"url": f"ws://127.0.0.1:{port}", "outdir": str(tmp_path / "no"),
                            "cases": ["9.*"]})  # fmt: skip
    outdir = tmp_path / "yes"
    server = subprocess.Popen(
        [*CLI, "test-client", "--spec", str(spec), "--cases", "1.1.1", "--outdir", str(outdir),
         "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert f"1 cases at ws://127.0.0.1:{port} " in line, line
        client = subprocess.run(
            [*CLI, "reference-client", f"ws://127.0.0.1:{port}", "--agent", "ref"],
            capture_output=True, text=True, timeout=unit(30), check=False,
        )  # fmt: skip
        assert client.returncode == 0, client.stderr
        out, err = server.communicate(timeout=unit(30))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, (out, err)
    index = json.loads((outdir / "index.json").read_text())
    assert sorted(index["ref"]) == ["1.1.1"]
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "ws://127.0.0.1:9001", "colour": 1}, "unknown key 'colour'"),
        ({"url": "ws://127.0.0.1:9001", "key": "k.pem", "cert": "c.pem"},
         "cert is for a wss:// url, not ws://"),
        ({"url": "wss://127.0.0.1:9001"}, "a wss:// url needs cert and key (PEM files)"),
        ({"url": "wss://127.0.0.1:9001", "cert": "missing.pem", "key": "k.pem"},
         "cert missing.pem: no such file"),
        ({"cases": ["99.*"]}, "the case patterns select no case"),
    ],
)  # fmt: skip
def test_a_bad_spec_file_is_one_line(data: object, message: str, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, data)
    done = run_client("--spec", str(path), "--outdir", str(tmp_path))
    assert done.returncode == 2
    expected = message if message.startswith("the case") else f"{path}: {message}"
    assert done.stderr.splitlines() == [f"wsconform test-client: {expected}"]


def test_the_spec_protocols_are_selected_on_every_endpoint(tmp_path: pathlib.Path) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect
    from websockets.typing import Subprotocol

    port = free_port()
    spec = write(tmp_path, {"url": f"ws://127.0.0.1:{port}", "protocols": ["wamp.2.json"],
                            "cases": ["1.1.1"], "outdir": str(tmp_path / "out")})  # fmt: skip
    server = subprocess.Popen(
        [*CLI, "test-client", "--spec", str(spec), "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    base = f"ws://127.0.0.1:{port}"
    offer = [Subprotocol("chat"), Subprotocol("wamp.2.json")]
    try:
        assert server.stdout is not None
        assert f"at {base} " in server.stdout.readline()
        with connect(f"{base}/getCaseCount", subprotocols=offer, open_timeout=unit(10)) as ws:
            assert ws.subprotocol == "wamp.2.json"
            assert ws.recv(timeout=unit(10)) == "1"
        # A client that offers none of them gets none (RFC 6455 section 4.2.2).
        with connect(f"{base}/getCaseCount", subprotocols=[Subprotocol("chat")]) as ws:
            assert ws.subprotocol is None
        url = f"{base}/runCase?case=1&agent=wamp"
        with connect(url, subprotocols=offer, open_timeout=unit(10)) as ws:
            assert ws.subprotocol == "wamp.2.json"
            with contextlib.suppress(ConnectionClosed):
                while True:
                    ws.send(ws.recv(timeout=unit(10)))
        with connect(f"{base}/updateReports?agent=wamp", subprotocols=offer) as ws:
            assert ws.subprotocol == "wamp.2.json"
        _out, err = server.communicate(timeout=unit(30))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert server.returncode == 0, err
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert index["wamp"]["1.1.1"]["behavior"] == "OK"
