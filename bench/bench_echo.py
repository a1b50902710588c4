"""Echo round trips and idle memory: the reference server against ``websockets``.

Run with ``.venv/bin/python -m bench bench_echo``. Every server runs in its own
subprocess; one load client, the same for every server, drives it:

* **Throughput.** One connection, a window of messages in flight: a sender thread writes
  pre-masked binary frames whenever the window has room, the main thread counts the
  echoed frames. The client is a raw socket and a frame-header scanner, so that the
  figures measure the servers, not the client. Each size is measured for ours and
  theirs alternately, twice, and the better run of each is kept (the machine is shared).
  The server's CPU time per round trip (``/proc/PID/stat``) is printed beside the
  rate: on a busy machine it varies much less than the rate, and its ratio
  (theirs/ours, higher is better) tells which server does less work per message.
  Compression is off for the main table (framing and I/O only); a second table has
  permessage-deflate on (the client sends each message compressed, without context
  takeover, so the server inflates and deflates every message).
* **Memory.** 1,000 idle connections opened from this process; the server's resident
  set size (``VmRSS`` in ``/proc/PID/status``) before and after, divided by 1,000.

Goals (issues 3 and 15), printed beside each figure with whether it is met:

* compression off: ours/theirs msg/s >= 1.5 at 1 KiB and below, >= 1 above (asyncio
  servers; the thread-based servers' table has no goal);
* permessage-deflate on: ours/theirs msg/s >= 1 at every size (asyncio servers);
* idle memory with permessage-deflate: ours/theirs <= 1 for both front ends (the
  rows without compression are printed for information).
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import resource
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator

__all__ = ["idle_connections", "main"]

HOST = "127.0.0.1"
SIZES = (16, 1024, 64 * 1024, 4 * 2**20)
WINDOWS = {16: 100, 1024: 100, 64 * 1024: 16, 4 * 2**20: 4}
IDLE_CONNECTIONS = 1000

_WEBSOCKETS_ASYNCIO = """
import asyncio, sys
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    compression = None if sys.argv[1] == "off" else "deflate"
    async with serve(echo, "127.0.0.1", 0, compression=compression, max_size=None,
                     ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""

_WEBSOCKETS_SYNC = """
import sys
from websockets.sync.server import serve

def echo(ws):
    for message in ws:
        ws.send(message)

compression = None if sys.argv[1] == "off" else "deflate"
with serve(echo, "127.0.0.1", 0, compression=compression, max_size=None,
           ping_interval=None) as server:
    port = server.socket.getsockname()[1]
    print(f"listening on ws://127.0.0.1:{port}", flush=True)
    server.serve_forever()
"""


# --- servers -------------------------------------------------------------------------


def _command(kind: str, compression: bool) -> list[str]:
    if kind.startswith("websockets"):
        script = _WEBSOCKETS_SYNC if kind.endswith("sync") else _WEBSOCKETS_ASYNCIO
        return [sys.executable, "-c", script, "on" if compression else "off"]
    command = [sys.executable, "-m", "wsconform.harness.cli", "reference-server"]
    command += ["--host", HOST, "--port", "0"]
    if kind.endswith("sync"):
        command += ["--api", "sync"]
    if not compression:
        command.append("--no-compression")
    return command


@contextlib.contextmanager
def _server(kind: str, *, compression: bool) -> Iterator[tuple[int, int]]:
    """Run a server; yield its ``(pid, port)``; terminate it afterwards."""
    process = subprocess.Popen(
        _command(kind, compression), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if line.startswith("listening on ") or not line:
                break
        if not line.startswith("listening on "):
            raise RuntimeError(f"{kind} server did not start")
        port = int(line.rsplit(":", 1)[1])
        yield process.pid, port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- the load client -----------------------------------------------------------------

_DEFLATE_OFFER = "permessage-deflate; client_no_context_takeover"


def _open(port: int, *, compression: bool, timeout: float = 10) -> socket.socket:
    """Connect and perform the opening handshake by hand."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET / HTTP/1.1",
        f"Host: {HOST}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if compression:
        lines.append(f"Sec-WebSocket-Extensions: {_DEFLATE_OFFER}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed during the handshake")
        head += chunk
    head, _, rest = head.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(f"handshake refused: {head[:80]!r}")
    negotiated = b"permessage-deflate" in head.lower()
    if negotiated != compression:
        raise ConnectionError(f"permessage-deflate negotiated: {negotiated}")
    if rest:
        raise ConnectionError("unexpected bytes after the handshake")
    return sock


def _client_frame(payload: bytes, *, opcode: int = 2, rsv1: bool = False) -> bytes:
    """A masked client frame (RFC 6455 section 5.2)."""
    mask = os.urandom(4)
    length = len(payload)
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    if length < 126:
        head = struct.pack("!BB", first, 0x80 | length)
    elif length < 2**16:
        head = struct.pack("!BBH", first, 0x80 | 126, length)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, length)
    key = int.from_bytes((mask * (length // 4 + 1))[:length], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(length, "big") if length else b""
    return head + mask + masked


class _FrameCounter:
    """Count complete data messages in a stream of unmasked server frames."""

    def __init__(self) -> None:
        self.buffer = b""
        self.skip = 0
        self.skip_ends_message = False

    def feed(self, data: bytes) -> int:
        messages = 0
        if self.skip:
            if len(data) < self.skip:
                self.skip -= len(data)
                return 0
            data = data[self.skip :]
            self.skip = 0
            messages += self.skip_ends_message
        buffer = self.buffer + data if self.buffer else data
        pos, end = 0, len(buffer)
        while end - pos >= 2:
            first, second = buffer[pos], buffer[pos + 1] & 0x7F
            if second < 126:
                head, length = 2, second
            elif second == 126:
                if end - pos < 4:
                    break
                head, length = 4, int.from_bytes(buffer[pos + 2 : pos + 4], "big")
            else:
                if end - pos < 10:
                    break
                head, length = 10, int.from_bytes(buffer[pos + 2 : pos + 10], "big")
            ends_message = first & 0x80 and first & 0x0F <= 2
            available = end - pos - head
            if available < length:
                self.skip = length - available
                self.skip_ends_message = bool(ends_message)
                pos = end
                break
            pos += head + length
            messages += bool(ends_message)
        self.buffer = buffer[pos:]
        return messages


def _payload(size: int, compressible: bool) -> bytes:
    rng = random.Random(size)
    if not compressible:
        return rng.randbytes(size)
    words = [rng.randbytes(rng.randint(2, 8)).hex() for _ in range(200)]
    text = " ".join(rng.choice(words) for _ in range(size // 4 + 1))
    return text.encode()[:size]


def _deflate(payload: bytes) -> bytes:
    # RFC 7692 section 7.2.1: compress, flush, "remove 4 octets (that are 0x00 0x00 0xff
    # 0xff) from the tail"; no context takeover, so the same bytes are valid every time.
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of every thread of process ``pid``."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5), utime and stime, counted after the ")" of comm.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _throughput(
    pid: int, port: int, size: int, *, compression: bool, seconds: float
) -> tuple[float, float]:
    """Echo round trips per second over one connection with a window in flight, and the
    server's CPU seconds per round trip over the same interval."""
    payload = _payload(size, compression)
    body = _deflate(payload) if compression else payload
    frame = _client_frame(body, rsv1=compression)
    window = threading.Semaphore(WINDOWS[size])
    stop = threading.Event()
    sent = [0]
    sock = _open(port, compression=compression)
    sock.settimeout(30)

    def sender() -> None:
        batch_limit = max(1, 65536 // len(frame))
        try:
            while not stop.is_set():
                if not window.acquire(timeout=0.05):
                    continue
                batch = 1
                while batch < batch_limit and window.acquire(blocking=False):
                    batch += 1
                if batch == 1:
                    sock.sendall(frame)
                else:
                    sock.sendall(frame * batch)
                sent[0] += batch
        except OSError:
            pass

    thread = threading.Thread(target=sender, daemon=True)
    counter = _FrameCounter()
    received = 0
    thread.start()
    try:
        warm_until = time.monotonic() + min(0.5, seconds / 3)
        while time.monotonic() < warm_until:
            done = counter.feed(sock.recv(2**20))
            if done:
                window.release(done)
                received += done
        start, first, cpu = time.monotonic(), received, _cpu_seconds(pid)
        end = start + seconds
        while (now := time.monotonic()) < end:
            done = counter.feed(sock.recv(2**20))
            if done:
                window.release(done)
                received += done
        count = received - first
        rate = count / (now - start)
        cpu_per_message = (_cpu_seconds(pid) - cpu) / max(count, 1)
        stop.set()
        thread.join(30)
        while received < sent[0]:
            done = counter.feed(sock.recv(2**20))
            if done:
                window.release(done)
                received += done
        # Close properly, so that the server is idle for the next measurement.
        sock.sendall(_client_frame(struct.pack("!H", 1000), opcode=8))
        with contextlib.suppress(OSError):
            while sock.recv(65536):
                pass
    finally:
        stop.set()
        sock.close()
    return rate, cpu_per_message


def _idle_memory(kind: str, *, compression: bool) -> float:
    """KiB of server RSS per idle connection, with IDLE_CONNECTIONS open."""
    per_connection, _held = idle_connections(kind, IDLE_CONNECTIONS, compression=compression)
    return per_connection


def idle_connections(kind: str, count: int, *, compression: bool) -> tuple[float, int]:
    """Open ``count`` idle connections to a fresh ``kind`` server; return its RSS growth
    per connection (KiB) and how many connections it still holds a second later."""
    with _server(kind, compression=compression) as (pid, port):
        warm = _open(port, compression=compression)
        time.sleep(0.3)
        before = _rss_kib(pid)
        sockets = [_open(port, compression=compression) for _ in range(count)]
        time.sleep(1.0)
        after = _rss_kib(pid)
        held = sum(_still_open(sock) for sock in sockets)
        for sock in [warm, *sockets]:
            sock.close()
    return (after - before) / count, held


def _still_open(sock: socket.socket) -> bool:
    """Whether the server still holds an idle connection open (it has not closed it)."""
    sock.setblocking(False)  # with a timeout, recv would wait for it first
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


# --- tables --------------------------------------------------------------------------


def _label(size: int) -> str:
    if size >= 2**20:
        return f"{size // 2**20} MiB"
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} B"


def _rate_goal(size: int, compression: bool) -> float:
    """The least ours/theirs messages per second asked for at ``size``."""
    if compression:
        return 1.0
    return 1.5 if size <= 1024 else 1.0


#: The most ours/theirs resident memory per idle connection asked for, by compression.
_MEMORY_GOALS: dict[bool, float | None] = {False: None, True: 1.0}


def _verdict(met: bool, goal: str) -> str:
    return f"{goal} " + ("ok" if met else "MISSED")


def _table(
    title: str,
    ours: str,
    theirs: str,
    *,
    compression: bool,
    seconds: float,
    rounds: int,
    goals: bool = True,
) -> None:
    print(f"\n{title}")
    print(
        f"{'size':>8} {'ours msg/s':>11} {'theirs msg/s':>12} {'ratio':>6}  {'goal':<12}"
        f"{'ours CPU/msg':>13} {'theirs CPU/msg':>15} {'ratio':>6}"
    )
    best: dict[tuple[str, int], tuple[float, float]] = {}
    with (
        _server(ours, compression=compression) as (our_pid, our_port),
        _server(theirs, compression=compression) as (their_pid, their_port),
    ):
        for size in SIZES:
            for _ in range(rounds):
                for kind, pid, port in ((ours, our_pid, our_port), (theirs, their_pid, their_port)):
                    rate, cpu = _throughput(
                        pid, port, size, compression=compression, seconds=seconds
                    )
                    old_rate, old_cpu = best.get((kind, size), (0.0, float("inf")))
                    best[kind, size] = (max(old_rate, rate), min(old_cpu, cpu))
            (our_rate, our_cpu), (their_rate, their_cpu) = best[ours, size], best[theirs, size]
            ratio = our_rate / their_rate
            goal = _rate_goal(size, compression)
            verdict = _verdict(ratio >= goal, f">={goal}x") if goals else "-"
            print(
                f"{_label(size):>8} {our_rate:>11.0f} {their_rate:>12.0f} {ratio:>5.2f}x  "
                f"{verdict:<12}{our_cpu * 1e6:>11.1f}us {their_cpu * 1e6:>13.1f}us "
                f"{their_cpu / our_cpu:>5.2f}x",
                flush=True,
            )


def _raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        # Inherited by the server subprocesses started afterwards.
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main() -> None:
    """Print the throughput tables and the idle-memory table."""
    _raise_fd_limit(IDLE_CONNECTIONS * 2 + 256)
    started = time.monotonic()
    _table(
        "echo round trips, compression off (asyncio servers)",
        "ours",
        "websockets",
        compression=False,
        seconds=1.5,
        rounds=2,
    )
    _table(
        "echo round trips, permessage-deflate on (asyncio servers)",
        "ours",
        "websockets",
        compression=True,
        seconds=1.0,
        rounds=2,  # its goal is checked too: one disturbed run must not decide it
    )
    _table(
        "echo round trips, compression off (thread-based servers)",
        "ours-sync",
        "websockets-sync",
        compression=False,
        seconds=1.0,
        rounds=1,
        goals=False,  # the goals are the asyncio server's
    )
    print(f"\nresident memory per idle connection ({IDLE_CONNECTIONS} open), KiB")
    print(f"{'server':>22} {'ours':>8} {'theirs':>8} {'ours/theirs':>12}  goal")
    for compression in (False, True):
        for ours, theirs in (("ours", "websockets"), ("ours-sync", "websockets-sync")):
            mine = _idle_memory(ours, compression=compression)
            other = _idle_memory(theirs, compression=compression)
            name = f"{'sync' if ours.endswith('sync') else 'asyncio'}, deflate " + (
                "on" if compression else "off"
            )
            limit = _MEMORY_GOALS[compression]
            verdict = "" if limit is None else _verdict(mine / other <= limit, f"<={limit}x")
            print(
                f"{name:>22} {mine:>8.1f} {other:>8.1f} {mine / other:>11.2f}x  {verdict}",
                flush=True,
            )
    print(f"\n(bench_echo took {time.monotonic() - started:.0f} s)")
