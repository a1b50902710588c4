"""The thread-based connection over a socket pair, both ends driven by the core."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.timing import unit
from wsconform.reference.protocol.connection import (
    CLIENT,
    CLOSED,
    OPEN,
    SERVER,
    Protocol,
)
from wsconform.reference.protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
)
from wsconform.reference.protocol.frames import Frame
from wsconform.reference.sync.connection import FAILURE_GRACE, Connection, Data


@pytest.fixture
def pair() -> Iterator[tuple[Connection, Connection]]:
    """A client connection and a server connection joined by a socket pair."""
    a, b = socket.socketpair()
    client = Connection(a, Protocol(CLIENT), close_timeout=unit(2), ping_interval=None)
    server = Connection(b, Protocol(SERVER), close_timeout=unit(2), ping_interval=None)
    yield client, server
    client._abort()
    server._abort()
    assert client.wait_closed(unit(5))
    assert server.wait_closed(unit(5))


def test_text_and_binary_both_ways(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    client.send("café")
    client.send(b"\x00\x01")
    assert server.recv(timeout=unit(2)) == "café"
    assert server.recv(timeout=unit(2)) == b"\x00\x01"
    server.send(bytearray(b"back"))
    server.send(memoryview(b"view"))
    assert client.recv(timeout=unit(2)) == b"back"
    assert client.recv(timeout=unit(2)) == b"view"


def test_text_override_and_decode(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    client.send(b"utf-8 bytes", text=True)
    client.send("as binary", text=False)
    assert server.recv(timeout=unit(2)) == "utf-8 bytes"
    assert server.recv(timeout=unit(2), decode=True) == "as binary"


def test_fragmented_send_arrives_as_one_message(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    client.send(["frag", "ment", "ed"])
    fragments: list[Data] = [b"a", bytearray(b"b"), memoryview(b"c")]
    client.send(iter(fragments))
    assert server.recv(timeout=unit(2)) == "fragmented"
    assert server.recv(timeout=unit(2)) == b"abc"


def test_mixed_fragments_fail_the_connection(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    with pytest.raises(TypeError):
        client.send(["text", b"bytes"])
    # A message cut in the middle cannot go on: the connection fails with 1011.
    with pytest.raises(ConnectionClosedError) as info:
        server.recv(timeout=unit(5))
    assert info.value.code == 1011


def test_unsupported_types_are_refused(pair: tuple[Connection, Connection]) -> None:
    client, _ = pair
    with pytest.raises(TypeError):
        client.send(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.send({"a": "b"})  # iterable, but sending its keys is surely a mistake


def test_recv_timeout_leaves_connection_usable(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    with pytest.raises(TimeoutError):
        server.recv(timeout=unit(0.05))
    client.send("after")
    assert server.recv(timeout=unit(2)) == "after"


def test_second_concurrent_recv_raises(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    thread = threading.Thread(target=server.recv, kwargs={"timeout": unit(5)})
    thread.start()
    time.sleep(unit(0.05))
    with pytest.raises(ConcurrencyError):
        server.recv(timeout=0)
    client.send("release")
    thread.join(unit(2))
    assert not thread.is_alive()


def test_ping_returns_a_waiter_set_by_the_pong(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    waiter = client.ping()
    assert waiter.wait(unit(2))
    assert waiter.is_set()
    assert waiter.latency is not None and waiter.latency >= 0
    assert client.latency == waiter.latency
    named = server.ping("named")
    assert named.wait(unit(2))
    assert named.data == b"named"


def test_duplicate_ping_payload_is_refused(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    # Holding the server's core lock stalls its reader, so no pong can come back
    # while the first waiter is registered.
    with server._protocol_lock:
        client.ping(b"same")
        with pytest.raises(ConcurrencyError):
            client.ping(b"same")


def test_unsolicited_pong_is_ignored(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    server.pong(b"heartbeat")
    server.send("then a message")
    assert client.recv(timeout=unit(2)) == "then a message"


def test_close_from_client(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    client.send("last")
    client.close(1000, "bye")
    assert client.state is CLOSED
    assert client.wait_closed(0)
    # Messages received before the close are still delivered, then iteration ends.
    assert list(server) == ["last"]
    assert server.close_code == 1000
    assert server.close_reason == "bye"
    with pytest.raises(ConnectionClosedOK):
        server.recv(timeout=unit(2))
    with pytest.raises(ConnectionClosedOK):
        client.send("too late")


def test_close_with_error_code(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    server.close(4000, "custom")
    with pytest.raises(ConnectionClosedError) as info:
        client.recv(timeout=unit(2))
    assert info.value.code == 4000
    assert info.value.reason == "custom"


def test_close_is_idempotent(pair: tuple[Connection, Connection]) -> None:
    client, _ = pair
    client.close()
    client.close()
    assert client.state is CLOSED


def test_lost_tcp_connection_raises_1006(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    server._abort()
    with pytest.raises(ConnectionClosedError) as info:
        client.recv(timeout=unit(2))
    assert info.value.code == 1006


def test_pending_ping_waiter_raises_when_the_connection_closes(
    pair: tuple[Connection, Connection],
) -> None:
    client, server = pair
    with server._protocol_lock:
        waiter = client.ping(b"never answered")
        client._abort()
    with pytest.raises(ConnectionClosed):
        waiter.wait(unit(2))


def test_context_manager_closes(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    with client as ws:
        ws.send("inside")
    assert client.state is CLOSED
    assert server.recv(timeout=unit(2)) == "inside"
    assert server.wait_closed(unit(2))
    assert server.close_code == 1000


def test_context_manager_closes_with_1011_on_error(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    with pytest.raises(RuntimeError), client:
        raise RuntimeError("boom")
    with pytest.raises(ConnectionClosedError) as info:
        server.recv(timeout=unit(2))
    assert info.value.code == 1011


def test_back_pressure_then_close_unblocks(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    server._messages.max_queue = 2
    for i in range(5):
        client.send(str(i))
    time.sleep(unit(0.1))
    assert len(server._messages) == 2  # the reader waits for room
    assert server.state is OPEN
    assert server.recv(timeout=unit(2)) == "0"
    server.close()
    assert server.state is CLOSED


def test_big_messages_both_ways_at_once(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    client.protocol.max_size = server.protocol.max_size = None
    payload = bytes(range(256)) * 8192  # 2 MiB: more than the socket buffers
    errors: list[BaseException] = []

    def push(conn: Connection) -> None:
        try:
            conn.send(payload)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(c,)) for c in (client, server)]
    for thread in threads:
        thread.start()
    assert client.recv(timeout=unit(10)) == payload
    assert server.recv(timeout=unit(10)) == payload
    for thread in threads:
        thread.join(unit(5))
    assert errors == []


def test_properties(pair: tuple[Connection, Connection]) -> None:
    client, server = pair
    assert client.id != server.id
    assert client.state is OPEN
    assert client.close_code is None
    assert client.subprotocol is None
    assert client.local_address is not None
    assert client.latency == 0.0


def bad_input_after(message: bytes) -> bytes:
    """A masked text frame with ``message`` and, in the same write, a frame with the
    reserved opcode 0xF (a protocol error): Autobahn 3.2 / 4.1.3."""
    peer = Protocol(CLIENT)
    peer.send_text(message)
    return b"".join(peer.data_to_send()) + b"\x8f\x80\x00\x00\x00\x00"


def read_frames(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """Read ``count`` unmasked frames from the server: (opcode, payload) pairs."""
    sock.settimeout(unit(5))
    peer = Protocol(CLIENT)
    frames: list[tuple[int, bytes]] = []
    while len(frames) < count:
        data = sock.recv(65536)
        assert data, f"EOF after {frames}"
        peer.receive_data(data)
        frames += [(int(e.opcode), e.data) for e in peer.events_received() if isinstance(e, Frame)]
    return frames


def test_messages_before_bad_input_are_answered_before_failing() -> None:
    raw, b = socket.socketpair()
    server = Connection(b, Protocol(SERVER), close_timeout=unit(2), ping_interval=None)
    try:
        raw.sendall(bad_input_after(b"Hello"))
        message = server.recv(timeout=unit(2))
        assert message == "Hello"
        server.send(message)
        with pytest.raises(ConnectionClosedError):
            server.recv(timeout=unit(5))  # nothing left to read: the connection fails
        frames = read_frames(raw, 2)
        assert frames[0] == (1, b"Hello")
        assert frames[1][0] == 8 and frames[1][1][:2] == (1002).to_bytes(2, "big")
    finally:
        raw.close()
        server._abort()
        assert server.wait_closed(unit(5))


def test_unread_messages_delay_the_failure_by_the_grace_period_only() -> None:
    raw, b = socket.socketpair()
    server = Connection(b, Protocol(SERVER), close_timeout=unit(2), ping_interval=None)
    try:
        start = time.monotonic()
        raw.sendall(bad_input_after(b"never read"))
        (frame,) = read_frames(raw, 1)
        assert frame[0] == 8 and frame[1][:2] == (1002).to_bytes(2, "big")
        assert time.monotonic() - start >= FAILURE_GRACE * 0.9
        assert server.recv(timeout=unit(2)) == "never read"
    finally:
        raw.close()
        server._abort()
        assert server.wait_closed(unit(5))
