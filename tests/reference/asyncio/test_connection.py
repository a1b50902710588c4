"""Connection: message assembly, bounds, concurrency, pings, closing; no sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.timing import unit
from wsconform.reference.asyncio.connection import FAILURE_GRACE
from wsconform.reference.protocol.connection import CLOSED, CLOSING, OPEN
from wsconform.reference.protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosedError,
    ConnectionClosedOK,
)
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, PONG, TEXT

from .fakes import make_pair


async def test_recv_text_and_binary() -> None:
    pair = make_pair()
    pair.peer.send_text("café".encode())
    pair.peer.send_binary(b"\x00\xff")
    pair.deliver()
    assert await pair.connection.recv() == "café"
    assert await pair.connection.recv() == b"\x00\xff"


async def test_recv_decode_options() -> None:
    pair = make_pair()
    pair.peer.send_text(b"abc")
    pair.peer.send_binary(b"def")
    pair.deliver()
    assert await pair.connection.recv(decode=False) == b"abc"
    assert await pair.connection.recv(decode=True) == "def"


async def test_recv_assembles_fragments() -> None:
    pair = make_pair()
    pair.peer.send_text("é".encode()[:1], fin=False)
    pair.peer.send_continuation("é".encode()[1:], fin=False)
    pair.peer.send_continuation(b"!", fin=True)
    pair.peer.send_binary(b"a", fin=False)
    pair.peer.send_continuation(b"b", fin=True)
    pair.deliver()
    assert await pair.connection.recv() == "é!"
    assert await pair.connection.recv() == b"ab"


async def test_recv_waits_for_a_message() -> None:
    pair = make_pair()
    task = asyncio.create_task(pair.connection.recv())
    await asyncio.sleep(0)
    assert not task.done()
    pair.peer.send_text(b"late")
    pair.deliver()
    assert await asyncio.wait_for(task, unit(1)) == "late"


async def test_cancelled_recv_loses_no_message() -> None:
    pair = make_pair()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pair.connection.recv(), unit(0.01))
    task = asyncio.create_task(pair.connection.recv())
    await asyncio.sleep(0)
    # The message arrives and wakes the waiter, then the task is cancelled before it
    # resumes: the message must stay for the next recv.
    pair.peer.send_text(b"kept")
    pair.deliver()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pair.connection.recv() == "kept"


async def test_recv_timeout_leaves_connection_usable() -> None:
    pair = make_pair()
    with pytest.raises(TimeoutError):
        await pair.connection.recv(timeout=unit(0.01))
    pair.peer.send_text(b"next")
    pair.deliver()
    assert await pair.connection.recv(timeout=unit(1)) == "next"


async def test_concurrent_recv_raises_concurrency_error() -> None:
    pair = make_pair()
    first = asyncio.create_task(pair.connection.recv())
    await asyncio.sleep(0)
    with pytest.raises(ConcurrencyError):
        await pair.connection.recv()
    pair.peer.send_text(b"one")
    pair.deliver()
    # A message queued while the first recv is being woken goes to the first recv.
    with pytest.raises(ConcurrencyError):
        await pair.connection.recv()
    assert await first == "one"


async def test_max_queue_pauses_and_resumes_reading() -> None:
    pair = make_pair(max_queue=4)
    for i in range(4):
        pair.peer.send_text(str(i).encode())
    pair.deliver()
    assert not pair.transport.reading
    assert await pair.connection.recv() == "0"
    assert await pair.connection.recv() == "1"
    assert not pair.transport.reading  # 2 left, above the low-water mark 4 // 4 = 1
    assert await pair.connection.recv() == "2"
    assert pair.transport.reading


async def test_max_queue_none_never_pauses() -> None:
    pair = make_pair(max_queue=None)
    for _ in range(100):
        pair.peer.send_binary(b"x")
    pair.deliver()
    assert pair.transport.reading


async def test_write_limit_is_set_on_the_transport() -> None:
    pair = make_pair(write_limit=(1000, 10))
    assert pair.transport.limits == (1000, 10)
    pair = make_pair(write_limit=4096)
    assert pair.transport.limits == (4096, None)


async def test_send_text_and_binary() -> None:
    pair = make_pair()
    await pair.connection.send("hé")
    await pair.connection.send(b"\x01")
    await pair.connection.send(bytearray(b"\x02"))
    await pair.connection.send(memoryview(b"\x03"))
    await pair.connection.send(b"as text", text=True)
    await pair.connection.send("as binary", text=False)
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [
        (TEXT, "hé".encode()),
        (BINARY, b"\x01"),
        (BINARY, b"\x02"),
        (BINARY, b"\x03"),
        (TEXT, b"as text"),
        (BINARY, b"as binary"),
    ]


async def test_send_iterable_sends_one_fragmented_message() -> None:
    pair = make_pair()
    await pair.connection.send(["ab", "c", "d"])
    await pair.connection.send([b"x", bytearray(b"y")])
    await pair.connection.send([])  # nothing
    frames = pair.received()
    assert [(f.opcode, f.data, f.fin) for f in frames] == [
        (TEXT, b"ab", False),
        (CONT, b"c", False),
        (CONT, b"d", True),
        (BINARY, b"x", False),
        (CONT, b"y", True),
    ]


async def test_send_async_iterable() -> None:
    async def fragments() -> AsyncIterator[str]:
        for part in ("a", "b"):
            await asyncio.sleep(0)
            yield part

    pair = make_pair()
    await pair.connection.send(fragments())
    frames = pair.received()
    assert [(f.opcode, f.data, f.fin) for f in frames] == [(TEXT, b"a", False), (CONT, b"b", True)]


async def test_send_mixed_fragments_fails_the_connection() -> None:
    pair = make_pair()
    with pytest.raises(TypeError):
        await pair.connection.send(["a", b"b"])
    frames = pair.received()
    assert frames[0].opcode is TEXT and not frames[0].fin
    assert frames[-1].opcode is CLOSE and frames[-1].data[:2] == (1011).to_bytes(2, "big")
    assert pair.connection.state is not OPEN


async def test_send_rejects_other_types() -> None:
    pair = make_pair()
    with pytest.raises(TypeError):
        await pair.connection.send({"a": "b"})
    with pytest.raises(TypeError):
        await pair.connection.send(42)  # type: ignore[arg-type]


async def test_send_waits_for_a_fragmented_send_in_progress() -> None:
    pair = make_pair()
    release = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"1"
        await release.wait()
        yield b"2"

    fragmented = asyncio.create_task(pair.connection.send(slow()))
    await asyncio.sleep(0)
    single = asyncio.create_task(pair.connection.send(b"other"))
    await asyncio.sleep(0)
    assert not single.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(fragmented, single), unit(1))
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [
        (BINARY, b"1"),
        (CONT, b"2"),
        (BINARY, b"other"),
    ]


async def test_send_waits_for_drain() -> None:
    pair = make_pair()
    pair.connection.pause_writing()
    task = asyncio.create_task(pair.connection.send(b"x"))
    await asyncio.sleep(0)
    assert not task.done()
    pair.connection.resume_writing()
    await asyncio.wait_for(task, unit(1))


async def test_send_waiting_for_drain_raises_when_connection_is_lost() -> None:
    pair = make_pair()
    pair.connection.pause_writing()
    task = asyncio.create_task(pair.connection.send(b"x"))
    await asyncio.sleep(0)
    pair.transport.lose(ConnectionResetError())
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(task, unit(1))


async def test_ping_resolves_on_matching_pong_and_earlier_pings() -> None:
    pair = make_pair()
    first = await pair.connection.ping(b"1")
    second = await pair.connection.ping("2")
    third = await pair.connection.ping()
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames[:2]] == [(PING, b"1"), (PING, b"2")]
    assert frames[2].opcode is PING and len(frames[2].data) == 4
    pair.peer.data_to_send()  # drop the peer's automatic pongs: answer only "2"
    pair.peer.send_pong(b"2")
    pair.deliver()
    assert first.done() and second.done() and not asyncio.ensure_future(third).done()
    assert await second >= 0
    assert pair.connection.latency == await second


async def test_ping_with_payload_already_waiting_raises() -> None:
    pair = make_pair()
    await pair.connection.ping(b"same")
    with pytest.raises(ConcurrencyError):
        await pair.connection.ping(b"same")


async def test_unsolicited_pong_is_ignored_and_pong_sends() -> None:
    pair = make_pair()
    pair.peer.send_pong(b"nobody asked")
    pair.deliver()
    await pair.connection.pong(b"beat")
    frames = pair.received()
    assert [(f.opcode, f.data) for f in frames] == [(PONG, b"beat")]


async def test_ping_in_fragmented_message_is_answered() -> None:
    pair = make_pair()
    pair.peer.send_text(b"a", fin=False)
    pair.peer.send_ping(b"mid")
    pair.peer.send_continuation(b"b", fin=True)
    pair.deliver()
    assert [(f.opcode, f.data) for f in pair.received()] == [(PONG, b"mid")]
    assert await pair.connection.recv() == "ab"


async def test_keepalive_ping_and_timeout() -> None:
    pair = make_pair(ping_interval=unit(0.01), ping_timeout=unit(0.02))
    pair.connection._start_keepalive()
    await asyncio.sleep(unit(0.015))
    frames = pair.received()
    assert frames and frames[0].opcode is PING
    # Answer that ping: latency set; then stop answering: the connection fails with 1011.
    pair.deliver()  # the peer core's automatic pong
    assert pair.connection.latency > 0
    await asyncio.sleep(unit(0.1))
    frames = pair.received()
    closes = [f for f in frames if f.opcode is CLOSE]
    assert closes and closes[0].data[:2] == (1011).to_bytes(2, "big")


async def test_keepalive_disabled() -> None:
    pair = make_pair(ping_interval=None)
    pair.connection._start_keepalive()
    await asyncio.sleep(unit(0.02))
    assert pair.received() == []


async def test_close_handshake_then_recv_raises_ok() -> None:
    pair = make_pair(close_timeout=unit(1))
    closing = asyncio.create_task(pair.connection.close(1001, "bye"))
    await asyncio.sleep(0)
    assert pair.connection.state is CLOSING
    (frame,) = pair.received()
    assert frame.opcode is CLOSE
    pair.deliver()  # the peer core answered the close
    await asyncio.wait_for(closing, unit(1))
    assert pair.connection.state is CLOSED
    assert pair.connection.close_code == 1001  # the peer echoed the code
    assert pair.connection.close_reason == ""
    with pytest.raises(ConnectionClosedOK):
        await pair.connection.recv()
    with pytest.raises(ConnectionClosedOK):
        await pair.connection.send("late")
    await pair.connection.close()  # closing again does nothing


async def test_iteration_ends_quietly_on_normal_close() -> None:
    pair = make_pair()
    pair.peer.send_text(b"1")
    pair.peer.send_text(b"2")
    pair.peer.send_close(1000)
    pair.deliver()
    assert [m async for m in pair.connection] == ["1", "2"]


async def test_iteration_raises_on_error_close() -> None:
    pair = make_pair()
    pair.peer.send_text(b"1")
    pair.peer.send_close(4000, "custom")
    pair.deliver()
    received = []
    with pytest.raises(ConnectionClosedError) as info:
        async for message in pair.connection:
            received.append(message)
    assert received == ["1"]
    assert info.value.code == 4000


async def test_lost_connection_raises_1006_with_cause() -> None:
    pair = make_pair()
    cause = ConnectionResetError("reset by peer")
    pair.transport.lose(cause)
    with pytest.raises(ConnectionClosedError) as info:
        await pair.connection.recv()
    assert info.value.code == 1006
    assert info.value.__cause__ is cause
    assert pair.connection.close_code == 1006
    with pytest.raises(ConnectionClosedError):
        await pair.connection.send("x")


async def test_eof_without_close_frame_chains_eof_error() -> None:
    pair = make_pair()
    pair.connection.eof_received()
    pair.transport.lose(None)
    with pytest.raises(ConnectionClosedError) as info:
        await pair.connection.recv()
    assert isinstance(info.value.__cause__, EOFError)


async def test_pending_ping_fails_when_connection_is_lost() -> None:
    pair = make_pair()
    waiter = await pair.connection.ping()
    pair.transport.lose(None)
    with pytest.raises(ConnectionClosedError):
        await waiter


async def test_close_timeout_closes_then_aborts() -> None:
    pair = make_pair(close_timeout=unit(0.02))
    # The peer never answers the close frame and never closes TCP.
    transport = pair.transport

    def close() -> None:  # flushing never ends: connection_lost does not come
        transport.closing = True

    def abort() -> None:
        transport.aborted = transport.closing = True
        asyncio.get_running_loop().call_soon(transport.protocol.connection_lost, None)

    transport.close = close  # type: ignore[method-assign]
    transport.abort = abort  # type: ignore[method-assign]
    closing = asyncio.create_task(pair.connection.close())
    await asyncio.sleep(unit(0.03))
    assert pair.transport.closing and not pair.transport.aborted
    await asyncio.sleep(unit(0.03))
    assert pair.transport.aborted  # abort() calls connection_lost: close() returns
    await asyncio.wait_for(closing, unit(1))


async def test_protocol_error_fails_the_connection() -> None:
    pair = make_pair()
    pair.connection.data_received(b"\x8f\x80\x00\x00\x00\x00")  # reserved opcode, masked
    frames = pair.received()
    assert frames[-1].opcode is CLOSE and frames[-1].data[:2] == (1002).to_bytes(2, "big")
    assert pair.transport.closing
    await asyncio.sleep(0)
    with pytest.raises(ConnectionClosedError) as info:
        await pair.connection.recv()
    assert info.value.__cause__ is not None


# A masked frame with the reserved opcode 0xF: a protocol error (1002).
BAD_FRAME = b"\x8f\x80\x00\x00\x00\x00"


async def test_messages_before_bad_input_are_answered_before_failing() -> None:
    # Autobahn 3.2: a message, then a bad frame, in one read. The handler reads the
    # message and echoes it; the close frame follows the echo.
    pair = make_pair()
    pair.peer.send_text(b"Hello")
    pair.connection.data_received(b"".join(pair.peer.data_to_send()) + BAD_FRAME)
    assert pair.received() == []  # not failed yet: "Hello" is unread
    assert pair.connection.protocol.state is OPEN
    message = await pair.connection.recv()
    assert message == "Hello"
    await pair.connection.send(message)
    with pytest.raises(ConnectionClosedError) as info:
        await pair.connection.recv()  # nothing left to read: the connection fails now
    frames = pair.received()
    assert [frame.opcode for frame in frames] == [TEXT, CLOSE]
    assert frames[0].data == b"Hello"
    assert frames[1].data[:2] == (1002).to_bytes(2, "big")
    assert pair.transport.closing
    assert info.value.__cause__ is not None


async def test_bad_input_waits_for_the_answer_to_a_message_already_taken() -> None:
    # Autobahn 4.1.5 with one-byte writes: the handler has taken "Hello" but not yet
    # echoed it when the bad frame arrives; the echo still goes out before the close.
    pair = make_pair()
    pair.peer.send_text(b"Hello")
    pair.connection.data_received(b"".join(pair.peer.data_to_send()))
    message = await pair.connection.recv()
    pair.connection.data_received(BAD_FRAME)
    assert pair.received() == []  # the handler may still answer "Hello"
    await pair.connection.send(message)
    with pytest.raises(ConnectionClosedError):
        await pair.connection.recv()  # it asks for more: the connection fails now
    assert [frame.opcode for frame in pair.received()] == [TEXT, CLOSE]


async def test_a_handler_that_never_asks_again_gets_the_failure_after_the_grace() -> None:
    pair = make_pair()
    pair.peer.send_text(b"Hello")
    pair.connection.data_received(b"".join(pair.peer.data_to_send()))
    assert await pair.connection.recv() == "Hello"
    pair.connection.data_received(BAD_FRAME)
    await asyncio.sleep(FAILURE_GRACE + unit(0.2))
    frames = pair.received()
    assert [frame.opcode for frame in frames] == [CLOSE]
    assert frames[0].data[:2] == (1002).to_bytes(2, "big")


async def test_unread_messages_delay_the_failure_by_the_grace_period_only() -> None:
    pair = make_pair()
    pair.peer.send_text(b"never read")
    pair.connection.data_received(b"".join(pair.peer.data_to_send()) + BAD_FRAME)
    assert pair.received() == []
    await asyncio.sleep(FAILURE_GRACE + unit(0.2))
    frames = pair.received()
    assert [frame.opcode for frame in frames] == [CLOSE]
    assert frames[0].data[:2] == (1002).to_bytes(2, "big")
    # The message that came before the bad frame can still be read.
    assert await pair.connection.recv() == "never read"


async def test_close_with_a_failure_pending_fails_with_its_code() -> None:
    pair = make_pair()
    pair.peer.send_text(b"unread")
    pair.connection.data_received(b"".join(pair.peer.data_to_send()) + BAD_FRAME)
    close = asyncio.create_task(pair.connection.close())
    await asyncio.sleep(0)
    frames = pair.received()
    assert [frame.opcode for frame in frames] == [CLOSE]
    assert frames[0].data[:2] == (1002).to_bytes(2, "big")
    pair.transport.lose(None)
    await asyncio.wait_for(close, unit(1))


async def test_addresses_and_id() -> None:
    pair = make_pair()
    assert pair.connection.remote_address == ("127.0.0.2", 4321)
    assert pair.connection.local_address == ("127.0.0.1", 1234)
    assert pair.connection.id == pair.connection.protocol.id
    assert pair.connection.close_code is None and pair.connection.close_reason is None
