"""The server closes TCP cleanly while the peer still writes (both front ends).

Autobahn's cases 4.1.5 and 4.2.5 write every octet on its own: a text message, a frame
with a reserved opcode, a ping. The server echoes the message and fails at the reserved
opcode's first octet, while the rest of that frame and the ping are still on their way.
A server that then closes its socket makes the kernel answer those octets with a reset,
and a peer whose next write fails on it may drop the echo and the close frame it had
not read yet (the tester's asyncio transport does: it was NON-STRICT now and then under
load). RFC 6455 section 7.1.1's clean closure is shutdown() with SHUT_WR, recv() until
the peer's EOF, then close(): the octets written after the server's FIN are read and
discarded, never reset.

The client here is a blocking socket that plays that sequence in order, without racing:
it reads the echo, the close frame and the server's FIN first, then writes the rest one
octet at a time. Every write must succeed, and the server must close once the client
shuts down its side.
"""

from __future__ import annotations

import os
import socket
import threading

import pytest

from tests.integration.reference.threaded import REQUEST, SERVERS
from tests.timing import unit
from wsconform.harness.wire.frame import WireParser

#: Long enough that a reset cannot go unnoticed in the bounded waits below.
CLOSE_TIMEOUT = 30.0


def masked(opcode: int, payload: bytes) -> bytes:
    """A final client frame (masked, as section 5.3 requires) of under 126 octets."""
    mask = os.urandom(4)
    return (
        bytes([0x80 | opcode, 0x80 | len(payload)])
        + mask
        + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    )


def handshake(sock: socket.socket) -> bytes:
    """Send the upgrade request, read the 101; return what followed it."""
    sock.sendall(REQUEST)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "closed during the handshake"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 "), head
    return rest


def read_to_eof(sock: socket.socket, rest: bytes) -> list[tuple[int, bytes]]:
    """The frames the server sends, up to its FIN: (opcode, payload)."""
    while chunk := sock.recv(65536):
        rest += chunk
    parser = WireParser(max_length=1024)
    parser.feed(rest)
    frames = []
    while (frame := parser.next_frame()) is not None:
        frames.append((frame.opcode, bytes(frame.payload)))
    return frames


@pytest.mark.parametrize("api", sorted(SERVERS))
def test_octets_written_after_the_failure_are_read_not_reset(api: str) -> None:
    closed = threading.Event()
    reserved = masked(0x0F, b"Hello, world!")
    with (
        SERVERS[api](closed, close_timeout=CLOSE_TIMEOUT) as port,
        socket.create_connection(("127.0.0.1", port), unit(5)) as sock,
    ):
        sock.settimeout(unit(5))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rest = handshake(sock)
        for octet in masked(0x01, b"Hello, world!") + reserved[:2]:
            sock.sendall(bytes([octet]))
        # The server fails at the reserved opcode: echo, close frame 1002, FIN.
        frames = read_to_eof(sock, rest)
        assert [opcode for opcode, _ in frames] == [0x01, 0x08], frames
        assert frames[0][1] == b"Hello, world!"
        assert frames[1][1][:2] == (1002).to_bytes(2, "big"), frames
        # The rest of the reserved frame and the ping, as the peer writes them after
        # the server's FIN: a closed socket answers the first octet with a reset and a
        # later write fails (EPIPE / ECONNRESET); a half-closed one reads them.
        for octet in reserved[2:] + masked(0x09, b""):
            sock.sendall(bytes([octet]))
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(1) == b""
        # Our EOF ends the server's wait: it closes long before its close timeout.
        assert closed.wait(unit(5))
