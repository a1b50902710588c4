"""An in-memory transport and a peer core, to drive a Connection without sockets."""

from __future__ import annotations

import asyncio
from typing import Any

from wsconform.reference.asyncio.connection import Connection
from wsconform.reference.protocol.connection import CLIENT, SERVER, Protocol
from wsconform.reference.protocol.frames import Frame

__all__ = ["FakeTransport", "Pair", "make_pair"]


class FakeTransport(asyncio.Transport):
    """Records writes; closing it calls ``connection_lost`` on the next loop turn.

    With ``half_close`` it can shut down its write side (``write_eof``), as TCP can;
    without, it behaves as a TLS transport, which cannot.
    """

    def __init__(self, protocol: asyncio.Protocol, *, half_close: bool = False) -> None:
        super().__init__()
        self.protocol = protocol
        self.half_close = half_close
        self.eof_written = False
        self.written: list[bytes] = []
        self.closing = False
        self.aborted = False
        self.reading = True
        self.buffer_size = 0
        self.limits: tuple[int, int | None] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closing, "write after close"
        assert not self.eof_written, "write after write_eof"
        self.written.append(bytes(data))

    def can_write_eof(self) -> bool:
        return self.half_close

    def write_eof(self) -> None:
        assert self.half_close, "write_eof on a transport that cannot half-close"
        self.eof_written = True

    def writelines(self, list_of_data: Any) -> None:
        self.write(b"".join(list_of_data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def abort(self) -> None:
        self.aborted = True
        self.close()

    def lose(self, exc: Exception | None) -> None:
        """The network dropped the connection."""
        self.closing = True
        self.protocol.connection_lost(exc)

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self.limits = (high or 0, low)

    def get_write_buffer_size(self) -> int:
        return self.buffer_size

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.2", 4321), "sockname": ("127.0.0.1", 1234)}.get(name, default)


class Pair:
    """A server-side Connection under test and the client-side core playing the peer."""

    def __init__(self, connection: Connection, transport: FakeTransport) -> None:
        self.connection = connection
        self.transport = transport
        self.peer = Protocol(CLIENT)

    def deliver(self) -> None:
        """Send what the peer core queued to the connection."""
        data = b"".join(self.peer.data_to_send())
        if data:
            self.connection.data_received(data)

    def received(self) -> list[Frame]:
        """Frames the connection wrote since the last call, as the peer parsed them.

        Writes wait for the end of the loop iteration; this flushes them first.
        """
        if not self.transport.closing and not self.transport.eof_written:
            self.connection._flush()
        data = b"".join(self.transport.written)
        self.transport.written.clear()
        self.peer.receive_data(data)
        return [e for e in self.peer.events_received() if isinstance(e, Frame)]


def make_pair(*, half_close: bool = False, **kwargs: Any) -> Pair:
    """A server-side Connection (OPEN) on a fake transport, and its peer."""
    connection = Connection(Protocol(SERVER), **kwargs)
    transport = FakeTransport(connection, half_close=half_close)
    connection.connection_made(transport)
    return Pair(connection, transport)
