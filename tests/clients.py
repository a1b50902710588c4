"""Autobahn's client driver loop, written for real third-party WebSocket clients.

Each driver does what a client's test driver does against Autobahn's fuzzing server:
read ``/getCaseCount``, run every case on ``/runCase?case=N&agent=A`` echoing each
message back with its type until the tester closes, then ``/updateReports?agent=A``.
Every receive has a timeout (:data:`IDLE`); a case the client cannot echo simply ends.

* :func:`run_websockets`: ``websockets``' sync client (permessage-deflate offered);
* :func:`run_websocket_client`: ``websocket-client`` (no extension);
* :func:`run_aiohttp`: ``aiohttp``'s client (no extension unless asked);
* :func:`run_node_ws`: Node's ``ws`` client, :data:`NODE_DRIVER` run by ``node``;
* :data:`BROWSER_PAGE`: the same loop in a page, with the browser's own ``WebSocket``.

``python -m tests.clients DRIVER AGENT [URL]`` runs one of the Python drivers as a
command (``websockets``, ``websocket-client``, ``aiohttp``), against ``URL`` or else
``$WSCONFORM_URL``: the client a ``test-client --client-cmd`` starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any

from tests.timing import unit

__all__ = [
    "BROWSER_PAGE",
    "DRIVERS",
    "IDLE",
    "NODE_DIR",
    "NODE_DRIVER",
    "main",
    "node_ws_available",
    "run_aiohttp",
    "run_closer",
    "run_node_ws",
    "run_websocket_client",
    "run_websockets",
    "run_websockets_killed",
]

#: Seconds a driver waits for the next message before it closes the case itself.
IDLE = unit(10)

#: Where ``.ci/run`` installs the pinned ``ws`` package (``npm ci``).
NODE_DIR = pathlib.Path(__file__).parent / "clients" / "node"
NODE_DRIVER = NODE_DIR / "driver.js"


def _url(base: str, path: str, **params: str | int) -> str:
    return f"{base}/{path}?{urllib.parse.urlencode(params)}" if params else f"{base}/{path}"


def run_websockets(base: str, agent: str) -> int:
    """The driver loop with ``websockets.sync.client``; returns the number of cases run."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    options: dict[str, Any] = {"max_size": None, "open_timeout": IDLE, "close_timeout": unit(2)}
    with connect(_url(base, "getCaseCount"), **options) as ws:
        count = int(ws.recv(timeout=IDLE))
    for case in range(1, count + 1):
        url = _url(base, "runCase", case=case, agent=agent)
        with connect(url, **options) as ws, contextlib.suppress(ConnectionClosed, TimeoutError):
            while True:
                ws.send(ws.recv(timeout=IDLE))
    url = _url(base, "updateReports", agent=agent)
    with connect(url, **options) as ws, contextlib.suppress(ConnectionClosed, TimeoutError):
        ws.recv(timeout=IDLE)
    return count


def run_websockets_killed(base: str, agent: str) -> int:
    """:func:`run_websockets`, except that the driver SIGKILLs itself in case
    ``$WSCONFORM_KILL_AT`` (a 1-based case number) once it received a message: a client
    that dies in the middle of a case."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    kill_at = int(os.environ["WSCONFORM_KILL_AT"])
    options: dict[str, Any] = {"max_size": None, "open_timeout": IDLE, "close_timeout": unit(2)}
    with connect(_url(base, "getCaseCount"), **options) as ws:
        count = int(ws.recv(timeout=IDLE))
    for case in range(1, count + 1):
        with connect(_url(base, "runCase", case=case, agent=agent), **options) as ws:
            message = ws.recv(timeout=IDLE)
            if case == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            ws.send(message)
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                while True:
                    ws.send(ws.recv(timeout=IDLE))
    return count


def run_closer(base: str, agent: str) -> int:
    """A driver that closes every case at once (``websocket-client``): many quick
    failures in a row."""
    import websocket

    ws = websocket.create_connection(_url(base, "getCaseCount"), timeout=IDLE)
    count = int(ws.recv())
    ws.close()
    for case in range(1, count + 1):
        ws = websocket.create_connection(
            _url(base, "runCase", case=case, agent=agent), timeout=IDLE
        )
        ws.close(timeout=unit(2))
    ws = websocket.create_connection(_url(base, "updateReports", agent=agent), timeout=IDLE)
    with contextlib.suppress(websocket.WebSocketException, OSError):
        ws.recv()
    ws.close(timeout=unit(2))
    return count


def run_websocket_client(base: str, agent: str) -> int:
    """The driver loop with ``websocket-client``; returns the number of cases run."""
    import websocket

    ws = websocket.create_connection(_url(base, "getCaseCount"), timeout=IDLE)
    count = int(ws.recv())
    ws.close()
    for case in range(1, count + 1):
        ws = websocket.create_connection(
            _url(base, "runCase", case=case, agent=agent), timeout=IDLE
        )
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                ws.send(data, opcode)
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            ws.close(timeout=unit(2))
    ws = websocket.create_connection(_url(base, "updateReports", agent=agent), timeout=IDLE)
    with contextlib.suppress(websocket.WebSocketException, OSError):
        ws.recv()
    ws.close(timeout=unit(2))
    return count


def run_aiohttp(base: str, agent: str) -> int:
    """The driver loop with ``aiohttp``'s client; returns the number of cases run."""
    import aiohttp

    async def main() -> int:
        timeout = aiohttp.ClientWSTimeout(ws_receive=IDLE, ws_close=unit(2))
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(_url(base, "getCaseCount"), timeout=timeout) as ws:
                count = int(await ws.receive_str())
            for case in range(1, count + 1):
                url = _url(base, "runCase", case=case, agent=agent)
                async with session.ws_connect(url, timeout=timeout, max_msg_size=0) as ws:
                    with contextlib.suppress(TimeoutError):
                        async for message in ws:
                            if message.type == aiohttp.WSMsgType.TEXT:
                                await ws.send_str(message.data)
                            elif message.type == aiohttp.WSMsgType.BINARY:
                                await ws.send_bytes(message.data)
                            else:
                                break
            url = _url(base, "updateReports", agent=agent)
            async with session.ws_connect(url, timeout=timeout) as ws:
                with contextlib.suppress(TimeoutError):
                    await ws.receive()
        return count

    return asyncio.run(main())


def node_ws_available() -> str | None:
    """Why Node's ``ws`` cannot run here (``None`` when it can)."""
    if shutil.which("node") is None:
        return "node is not installed (.ci/run installs Debian's nodejs)"
    if not (NODE_DIR / "node_modules" / "ws").is_dir():
        return f"ws is not installed: run npm ci in {NODE_DIR} (.ci/run does)"
    return None


def run_node_ws(base: str, agent: str, timeout: float) -> int:
    """The driver loop in Node with ``ws``; returns the number of cases run.

    Raises:
        subprocess.CalledProcessError: the driver failed.
        subprocess.TimeoutExpired: it did not finish within ``timeout`` seconds.
    """
    env = {**os.environ, "WSCONFORM_IDLE_MS": str(int(IDLE * 1000))}
    done = subprocess.run(
        ["node", str(NODE_DRIVER), base, agent],
        cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=True,
    )  # fmt: skip
    return int(done.stdout.split()[-1])


#: The browser's driver loop; ``run(base, agent)`` resolves to the number of cases run.
BROWSER_PAGE = """<!doctype html>
<meta charset="utf-8"><title>wsconform client driver</title>
<script>
function open(url, onmessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    let timer = null;
    const idle = () => { clearTimeout(timer); timer = setTimeout(() => ws.close(), IDLE_MS); };
    ws.onopen = idle;
    ws.onmessage = (event) => { idle(); onmessage(ws, event.data); };
    ws.onclose = () => { clearTimeout(timer); resolve(); };
    ws.onerror = () => {};
  });
}
async function run(base, agent) {
  let count = 0;
  await open(base + "/getCaseCount", (ws, data) => { count = parseInt(data, 10); });
  for (let n = 1; n <= count; n++) {
    const url = base + "/runCase?case=" + n + "&agent=" + encodeURIComponent(agent);
    await open(url, (ws, data) => ws.send(data));
  }
  await open(base + "/updateReports?agent=" + encodeURIComponent(agent), () => {});
  return count;
}
window.driver = { done: false, count: null };
window.start = (base, agent) => run(base, agent).then((n) => {
  window.driver = { done: true, count: n };
});
</script>
"""


#: The drivers ``python -m tests.clients`` runs, by name.
DRIVERS: dict[str, Callable[[str, str], int]] = {
    "websockets": run_websockets,
    "websockets-killed": run_websockets_killed,
    "websocket-client": run_websocket_client,
    "aiohttp": run_aiohttp,
    "closer": run_closer,
}


def main(argv: Sequence[str]) -> int:
    """``DRIVER AGENT [URL]``: run the driver, print the number of cases it ran."""
    if len(argv) not in {2, 3} or argv[0] not in DRIVERS:
        names = ",".join(DRIVERS)
        print(f"usage: python -m tests.clients {{{names}}} AGENT [URL]", file=sys.stderr)
        return 2
    base = argv[2] if len(argv) == 3 else os.environ["WSCONFORM_URL"]
    print(f"{argv[0]}: {DRIVERS[argv[0]](base.rstrip('/'), argv[1])} cases", flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as a client under test
    sys.exit(main(sys.argv[1:]))
