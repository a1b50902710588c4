"""``wsconform reference-server`` and ``wsconform reference-client``: the conformance runs.

``reference-server`` is an echo server: every message comes back with the same type. It
prints ``listening on ws://HOST:PORT`` once it accepts connections (with ``--port 0``
the port is the real one) and, on SIGINT or SIGTERM, closes every connection with 1001
and exits with status 0.

``reference-client`` drives the reference client through Autobahn's fuzzing-server
protocol: ``/getCaseCount``, then ``/runCase?case=N&agent=NAME`` for each case, echoing
every message until the tester closes, then ``/updateReports?agent=NAME``. A ``/runCase``
whose opening handshake the client refuses (what the opening-handshake cases ``hc.*``
expect, docs/handshake.md) is noted and the loop goes on. It exits with 0 when the loop
completed (whatever the verdicts: the tester records them) and with 2 when the base URL
cannot be reached or does not behave like a fuzzing server.

Both run on the asyncio front end by default; ``--api sync`` runs the thread-based one,
so that the conformance runs can check both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from .asyncio.loop import run as run_loop
from .protocol.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from .protocol.uri import parse_uri

__all__ = ["DEFAULT_MAX_SIZE", "register", "run_client", "run_server"]

#: Largest message the echo server and the client driver accept, in bytes.
DEFAULT_MAX_SIZE = 64 * 2**20

EXIT_OK = 0
EXIT_USAGE = 2

_MAX_SIZE_HELP = (
    "largest incoming message in bytes, after decompression; 0 for no limit "
    "(default: 64 MiB: Autobahn's cases 9.1.6 and 9.2.6 send 16 MiB messages, which the "
    "library default of 1 MiB would refuse with 1009, and a bound still keeps a peer "
    "from making the process allocate without limit)"
)


def _max_size(text: str) -> int | None:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 (no limit) or a positive size")
    return value or None


def register(subparsers: Any) -> None:
    """Add the ``reference-server`` and ``reference-client`` sub-commands."""
    server: argparse.ArgumentParser = subparsers.add_parser(
        "reference-server",
        help="run the reference echo server (for conformance runs)",
        description=(
            "Echo every message back with the same type. Prints 'listening on "
            "ws://HOST:PORT' when ready; SIGINT or SIGTERM closes every connection "
            "with 1001 and exits with 0. Keepalive pings are off, so that the server "
            "sends nothing a test case did not ask for."
        ),
    )
    server.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    server.add_argument(
        "--port", type=int, default=9001, help="port; 0 picks a free one (default: %(default)s)"
    )
    server.add_argument(
        "--no-compression", action="store_true", help="do not negotiate permessage-deflate"
    )
    server.add_argument("--certfile", help="PEM certificate chain: serve wss:// (TLS)")
    server.add_argument("--keyfile", help="PEM private key (default: in --certfile)")
    server.add_argument("--max-size", type=_max_size, default=DEFAULT_MAX_SIZE, help=_MAX_SIZE_HELP)
    server.add_argument(
        "--api",
        choices=("asyncio", "sync"),
        default="asyncio",
        help="front end to run (default: %(default)s)",
    )
    server.set_defaults(handler=run_server)

    client: argparse.ArgumentParser = subparsers.add_parser(
        "reference-client",
        help="run the reference client against an Autobahn-style fuzzing server",
        description=(
            "Open BASE_URL/getCaseCount, then BASE_URL/runCase?case=N&agent=NAME for each "
            "case, echoing every message, then BASE_URL/updateReports?agent=NAME. Exits "
            "with 0 when every case ran, 2 when BASE_URL is unreachable or misbehaves."
        ),
    )
    client.add_argument("base_url", metavar="BASE_URL", help="for example ws://127.0.0.1:9001")
    client.add_argument(
        "--agent",
        default="wsconform-reference",
        help="agent name the tester files the results under (default: %(default)s)",
    )
    client.add_argument("--cases", type=int, help="run only the first N cases")
    client.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="cases run at once, each on its own connection (asyncio only; default: 1, "
        "as Autobahn's fuzzing server runs one at a time)",
    )
    client.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help=(
            "seconds to wait for the next message, or for a connection to open or close; "
            "a case idle that long is closed and the run goes on (default: %(default)s)"
        ),
    )
    client.add_argument(
        "--no-compression", action="store_true", help="do not offer permessage-deflate"
    )
    client.add_argument("--max-size", type=_max_size, default=DEFAULT_MAX_SIZE, help=_MAX_SIZE_HELP)
    client.add_argument(
        "--api",
        choices=("asyncio", "sync"),
        default="asyncio",
        help="front end to run (default: %(default)s)",
    )
    client.set_defaults(handler=run_client)


def _fail(message: str) -> int:
    print(f"wsconform: {message}", file=sys.stderr, flush=True)
    return EXIT_USAGE


# --- reference-server ---------------------------------------------------------------


def _server_ssl(args: argparse.Namespace) -> ssl.SSLContext | None:
    if args.certfile is None:
        if args.keyfile is not None:
            raise ValueError("--keyfile needs --certfile")
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.certfile, args.keyfile)
    return context


def _announce(context: ssl.SSLContext | None, host: str, port: int) -> None:
    scheme = "ws" if context is None else "wss"
    shown = f"[{host}]" if ":" in host else host
    print(f"listening on {scheme}://{shown}:{port}", flush=True)


def run_server(args: argparse.Namespace) -> int:
    """Run the echo server until SIGINT or SIGTERM; return the exit status."""
    try:
        context = _server_ssl(args)
    except (OSError, ValueError, ssl.SSLError) as exc:
        return _fail(f"cannot load the TLS certificate: {exc}")
    options: dict[str, Any] = {
        "compression": None if args.no_compression else "deflate",
        "max_size": args.max_size,
        # Nothing the test case did not ask for: no keepalive pings.
        "ping_interval": None,
        "ssl": context,
    }
    try:
        if args.api == "sync":
            return _run_sync_server(args, options)
        return run_loop(_run_asyncio_server(args, options))
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}")


def _stop_on_signals(stop: Callable[[], None]) -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop())


def _run_sync_server(args: argparse.Namespace, options: dict[str, Any]) -> int:
    from .sync.server import ServerConnection, serve

    def echo(ws: ServerConnection) -> None:
        # A peer that breaks the protocol is what conformance runs are about: the
        # connection was failed with the right code, which is not a handler error.
        with contextlib.suppress(ConnectionClosed):
            for message in ws:
                ws.send(message)

    stopping = threading.Event()
    with serve(echo, args.host, args.port, **options) as server:
        _stop_on_signals(stopping.set)
        thread = threading.Thread(target=server.serve_forever, name="wsconform-accept")
        thread.start()
        _announce(options["ssl"], args.host, server.socket.getsockname()[1])
        # Event.wait() in the main thread lets the signal handlers run.
        while not stopping.wait(3600):
            pass
    thread.join(5)
    return EXIT_OK


async def _run_asyncio_server(args: argparse.Namespace, options: dict[str, Any]) -> int:
    from .asyncio.server import ServerConnection, serve

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                await ws.send(message)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(echo, args.host, args.port, **options) as server:
        _announce(options["ssl"], args.host, server.sockets[0].getsockname()[1])
        await stop.wait()
    # Leaving the block closed every connection with 1001 and waited for the handlers.
    return EXIT_OK


# --- reference-client ---------------------------------------------------------------


class _Misbehaving(Exception):
    """The base URL does not answer like a fuzzing server."""


def _endpoint(base: str, path: str, **params: str | int) -> str:
    # %20 rather than "+" for a space: both the form decoding and plain percent
    # decoding of the query give the same agent name back.
    query = urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return f"{base}/{path}" + (f"?{query}" if query else "")


def _parse_count(message: str | bytes) -> int:
    if not isinstance(message, str):
        raise _Misbehaving("getCaseCount sent a binary message, expected a text number")
    try:
        count = json.loads(message)
    except ValueError:
        count = None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise _Misbehaving(f"getCaseCount sent {message[:80]!r}, expected a case count")
    return count


def run_client(args: argparse.Namespace) -> int:
    """Run every case of the fuzzing server at ``args.base_url``; return the exit status."""
    base = args.base_url.rstrip("/")
    try:
        parse_uri(base)
    except InvalidURI as exc:
        return _fail(f"invalid BASE_URL: {exc}")
    if args.cases is not None and args.cases < 0:
        return _fail("--cases must not be negative")
    if args.jobs < 1:
        return _fail(f"-j must be at least 1, not {args.jobs}")
    options: dict[str, Any] = {
        "compression": None if args.no_compression else "deflate",
        "max_size": args.max_size,
        "open_timeout": args.timeout,
        "close_timeout": min(10.0, args.timeout),
        "ping_interval": None,
    }
    driver = _SyncDriver(args, options) if args.api == "sync" else None
    try:
        if driver is not None:
            return driver.run(base)
        return run_loop(_AsyncioDriver(args, options).run(base))
    except _Misbehaving as exc:
        return _fail(f"{base} does not behave like a fuzzing server: {exc}")
    except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
        return _fail(f"cannot reach the fuzzing server at {base}: {type(exc).__name__}: {exc}")


def _report(index: int, total: int, code: int | None, note: str = "") -> None:
    print(f"case {index}/{total}: closed with {code}{note}", flush=True)


class _SyncDriver:
    def __init__(self, args: argparse.Namespace, options: dict[str, Any]) -> None:
        self.args = args
        self.options = options

    def run(self, base: str) -> int:
        from .sync.client import connect

        timeout = self.args.timeout
        with connect(_endpoint(base, "getCaseCount"), **self.options) as ws:
            count = _parse_count(ws.recv(timeout=timeout))
        total = count if self.args.cases is None else min(count, self.args.cases)
        print(f"{count} cases, running {total}", flush=True)
        for index in range(1, total + 1):
            url = _endpoint(base, "runCase", case=index, agent=self.args.agent)
            try:
                ws = connect(url, **self.options)
            except InvalidHandshake as exc:
                # An opening-handshake case: refusing the answer is the client's part.
                _report(index, total, None, f" (handshake refused: {exc})")
                continue
            note = ""
            try:
                while True:
                    message = ws.recv(timeout=timeout)
                    ws.send(message)
            except ConnectionClosed:
                pass
            except TimeoutError:
                note = f" (idle for {timeout} s: closed by us)"
            finally:
                ws.close()
            _report(index, total, ws.close_code, note)
        with connect(_endpoint(base, "updateReports", agent=self.args.agent), **self.options) as ws:
            _drain_sync(ws, timeout)
        return EXIT_OK


def _drain_sync(ws: Any, timeout: float) -> None:
    """Wait for the tester to close, ignoring anything it sends."""
    try:
        while True:
            ws.recv(timeout=timeout)
    except (ConnectionClosed, TimeoutError):
        return


class _AsyncioDriver:
    def __init__(self, args: argparse.Namespace, options: dict[str, Any]) -> None:
        self.args = args
        self.options = options

    async def run(self, base: str) -> int:
        from .asyncio.client import connect

        timeout = self.args.timeout
        async with connect(_endpoint(base, "getCaseCount"), **self.options) as ws:
            count = _parse_count(await ws.recv(timeout=timeout))
        total = count if self.args.cases is None else min(count, self.args.cases)
        print(f"{count} cases, running {total}", flush=True)
        indexes = iter(range(1, total + 1))

        async def worker() -> None:
            for index in indexes:
                await self._case(base, index, total)

        await asyncio.gather(*(worker() for _ in range(min(self.args.jobs, max(total, 1)))))
        url = _endpoint(base, "updateReports", agent=self.args.agent)
        async with connect(url, **self.options) as ws:
            try:
                while True:
                    await ws.recv(timeout=timeout)
            except (ConnectionClosed, TimeoutError):
                pass
        return EXIT_OK

    async def _case(self, base: str, index: int, total: int) -> None:
        from .asyncio.client import connect

        timeout = self.args.timeout
        url = _endpoint(base, "runCase", case=index, agent=self.args.agent)
        try:
            ws = await connect(url, **self.options)
        except InvalidHandshake as exc:
            # An opening-handshake case: refusing the answer is the client's part.
            _report(index, total, None, f" (handshake refused: {exc})")
            return
        note = ""
        try:
            while True:
                message = await ws.recv(timeout=timeout)
                await ws.send(message)
        except ConnectionClosed:
            pass
        except TimeoutError:
            note = f" (idle for {timeout} s: closed by us)"
        finally:
            await ws.close()
        _report(index, total, ws.close_code, note)
