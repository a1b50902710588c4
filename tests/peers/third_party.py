"""Real third-party WebSocket echo servers from PyPI, each in its own process.

``websockets`` and ``aiohttp`` are dev dependencies. Each script echoes every message
with its type, negotiates permessage-deflate with its library's defaults, accepts
messages of up to 32 MiB (section 9 sends 16 MiB), sends no keepalive pings, listens
on a free port of 127.0.0.1 and prints ``listening on ws://HOST:PORT/`` once ready.
:func:`third_party_server` runs one and yields its URL (with the harness's own
:func:`~wsconform.harness.commands.conformance.listening_process`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from tests.timing import unit
from wsconform.harness.commands.conformance import listening_process

__all__ = ["SCRIPTS", "third_party_server"]

MAX_SIZE = 2**25

_WEBSOCKETS = f"""
import asyncio
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, "127.0.0.1", 0, max_size={MAX_SIZE}, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on ws://127.0.0.1:{{port}}/", flush=True)
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""

_AIOHTTP = f"""
import asyncio
from aiohttp import WSMsgType, web

async def echo(request):
    ws = web.WebSocketResponse(compress=True, max_msg_size={MAX_SIZE}, heartbeat=None)
    await ws.prepare(request)
    async for message in ws:
        if message.type is WSMsgType.TEXT:
            await ws.send_str(message.data)
        elif message.type is WSMsgType.BINARY:
            await ws.send_bytes(message.data)
    return ws

async def main():
    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"listening on ws://127.0.0.1:{{port}}/", flush=True)
    await asyncio.get_running_loop().create_future()

asyncio.run(main())
"""

#: Library name -> the script of its echo server.
SCRIPTS: dict[str, str] = {"websockets": _WEBSOCKETS, "aiohttp": _AIOHTTP}


@contextlib.contextmanager
def third_party_server(library: str) -> Iterator[str]:
    """Run the echo server of ``library`` (a key of :data:`SCRIPTS`); yield its URL."""
    command = [sys.executable, "-c", SCRIPTS[library]]
    with listening_process(command, f"the {library} server", unit(30)) as url:
        yield url
