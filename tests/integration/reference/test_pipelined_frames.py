"""Frames a client sends in the same write as its upgrade request (both front ends).

RFC 6455 section 4.1 asks a client to wait for the 101, but a server reads a TCP
stream: the frames after the request are read once the 101 is out, at once (not with
the next read, which may never come), in order, and past the message queue's bound
(the handler that empties the queue only starts after the handshake).
"""

from __future__ import annotations

import socket

import pytest

from tests.integration.reference.threaded import REQUEST, SERVERS
from tests.timing import unit
from wsconform.cases.families.handshake_server import masked_text_frame
from wsconform.harness.wire.frame import WireFrame, WireParser

#: More messages than the default message queue holds (16).
COUNT = 40


@pytest.mark.parametrize("api", sorted(SERVERS))
def test_frames_with_the_request_are_echoed_in_order(api: str) -> None:
    payloads = [f"message {n}".encode() for n in range(COUNT)]
    with SERVERS[api]() as port, socket.create_connection(("127.0.0.1", port), unit(5)) as sock:
        sock.sendall(REQUEST + b"".join(masked_text_frame(p) for p in payloads))
        sock.settimeout(unit(5))
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        parser = WireParser(max_length=1024)
        parser.feed(rest)
        echoed: list[bytes] = []
        while len(echoed) < COUNT:
            frame = parser.next_frame()
            if frame is not None:
                echoed.append(bytes(frame.payload))
                continue
            chunk = sock.recv(65536)
            assert chunk, f"closed after {len(echoed)} echoes"
            parser.feed(chunk)
        assert echoed == payloads


@pytest.mark.parametrize("api", sorted(SERVERS))
def test_a_bad_frame_with_the_request_fails_the_connection_after_the_echo(api: str) -> None:
    # A text message, then a frame with the reserved opcode 0x3 (RFC 6455 section 5.2:
    # "MUST _Fail the WebSocket Connection_"), both in the write of the request: the
    # message is echoed, then the server fails with 1002 on its own, without waiting for
    # more bytes from the client (which sends none and keeps its side open).
    bad = bytes([0x83, 0x80]) + b"\x00\x00\x00\x00"
    with SERVERS[api]() as port, socket.create_connection(("127.0.0.1", port), unit(5)) as sock:
        sock.sendall(REQUEST + masked_text_frame(b"before") + bad)
        sock.settimeout(unit(5))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 ")
        parser = WireParser(max_length=1024)
        parser.feed(rest)
        frames: list[WireFrame] = []
        while len(frames) < 2:
            frame = parser.next_frame()
            if frame is not None:
                frames.append(frame)
                continue
            chunk = sock.recv(65536)  # a timeout here: the failure never came
            assert chunk, f"closed after {frames}"
            parser.feed(chunk)
        echo, close = frames
        assert (echo.opcode, bytes(echo.payload)) == (0x1, b"before")
        assert close.opcode == 0x8
        assert int.from_bytes(bytes(close.payload)[:2], "big") == 1002
