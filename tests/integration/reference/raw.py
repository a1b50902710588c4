"""A bare-hands WebSocket client for the tests that must misbehave on purpose.

It sends frames it builds itself (masked, as a client must) and parses the server's
unmasked frames, so a test can stay silent on a ping or send a ping between fragments.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct

from tests.timing import unit

__all__ = ["RawClient"]


class RawClient:
    """A TCP connection that speaks WebSocket frame by frame."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.response_head = b""

    @classmethod
    async def connect(cls, port: int, path: str = "/", handshake: bool = True) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        if handshake:
            await client.handshake(path)
        return client

    async def handshake(self, path: str = "/") -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.response_head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), unit(2))
        assert self.response_head.startswith(b"HTTP/1.1 101"), self.response_head

    def send_frame(self, opcode: int, data: bytes, fin: bool = True) -> None:
        head = bytes([(0x80 if fin else 0) | opcode])
        length = len(data)
        if length < 126:
            head += bytes([0x80 | length])
        elif length < 2**16:
            head += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.writer.write(head + mask + masked)

    async def recv_frame(self, timeout: float | None = None) -> tuple[int, bytes, bool]:
        """Return ``(opcode, payload, fin)`` of the next frame.

        Raises:
            asyncio.IncompleteReadError: the server closed TCP.
            TimeoutError: nothing came in time.
        """
        async with asyncio.timeout(unit(2) if timeout is None else timeout):
            b0, b1 = await self.reader.readexactly(2)
            length = b1 & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            assert not b1 & 0x80, "a server must not mask"
            data = await self.reader.readexactly(length)
        return b0 & 0x0F, data, bool(b0 & 0x80)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(self.writer.wait_closed(), unit(1))
