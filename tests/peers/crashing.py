"""An echo server that crashes (``os._exit(70)``) on a message of one size, once.

``python -m tests.peers.crashing PORT SIZE MARKER``: the reference asyncio server,
except that the first message of exactly SIZE bytes ends the process at once, with no
close frame, as a segfault would. MARKER is a file: it is created on the crash, and a
server started while it exists echoes everything (so the restarted server passes the
case that crashed the first one, and a test can tell the run went on).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pathlib
import sys

from wsconform.reference.asyncio.server import ServerConnection, serve
from wsconform.reference.protocol.exceptions import ConnectionClosed

__all__ = ["main"]


async def main(port: int, size: int, marker: pathlib.Path) -> None:
    """Serve on 127.0.0.1:``port`` until killed."""
    crashed_before = marker.exists()

    async def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                if len(message) == size and not crashed_before:
                    marker.touch()
                    print(f"crashing on a message of {size} bytes", flush=True)
                    os._exit(70)
                await ws.send(message)

    async with serve(echo, "127.0.0.1", port):
        print(f"listening on ws://127.0.0.1:{port}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])))
