"""Small helpers shared by the reference's integration tests."""

from __future__ import annotations

import asyncio
import pathlib

from tests.timing import unit
from wsconform.reference.asyncio.connection import Connection
from wsconform.reference.asyncio.server import Server

__all__ = ["DOCS", "echo", "http_get", "port_of", "uri_of"]

#: The user guide (docs/reference.md); some tests check that it documents a behaviour.
DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "reference.md"


def port_of(server: Server) -> int:
    """The port the server listens on (it was started with port 0)."""
    port: int = server.sockets[0].getsockname()[1]
    return port


def uri_of(server: Server, path: str = "/", scheme: str = "ws") -> str:
    return f"{scheme}://127.0.0.1:{port_of(server)}{path}"


async def echo(ws: Connection) -> None:
    """Send every message back as it came."""
    async for message in ws:
        await ws.send(message)


async def http_get(port: int, path: str, headers: str = "") -> tuple[int, bytes, bytes]:
    """A plain HTTP/1.1 GET; return the status, the head and the body (read to EOF)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode())
    try:
        async with asyncio.timeout(unit(2)):
            data = await reader.read()
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head, body
