"""Connection: message assembly, bounds, concurrency, closing, failing; no sockets."""

from __future__ import annotations

import asyncio

import pytest

from tests.timing import unit
from wsconform.reference.asyncio.connection import FAILURE_GRACE
from wsconform.reference.protocol.connection import CLOSED, CLOSING, OPEN
from wsconform.reference.protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosedError,
    ConnectionClosedOK,
)
from wsconform.reference.protocol.frames import CLOSE, TEXT

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


async def test_failing_half_closes_and_discards_input_until_the_peer_eof() -> None:
    # RFC 6455 section 7.1.1's clean closure: shutdown(SHUT_WR), read to EOF, close.
    # The octets the peer still writes (Autobahn 4.2.5 writes them one by one) are read
    # and dropped; a closed socket would answer them with a reset.
    pair = make_pair(half_close=True)
    pair.connection.data_received(BAD_FRAME)
    (frame,) = pair.received()
    assert frame.opcode is CLOSE and frame.data[:2] == (1002).to_bytes(2, "big")
    assert pair.transport.eof_written
    assert not pair.transport.closing
    timer = pair.connection._close_handle
    assert timer is not None
    pair.connection.data_received(b"\x89\x80\x00\x00\x00\x00" * 3)
    assert pair.transport.written == []
    # More input does not push the close timeout back: a trickle cannot keep it open.
    assert pair.connection._close_handle is timer
    pair.connection.eof_received()  # asyncio closes the transport on a falsy return
    pair.transport.lose(None)
    assert timer.cancelled()
    assert pair.connection.state is CLOSED


async def test_lingering_ends_at_the_close_timeout() -> None:
    pair = make_pair(half_close=True, close_timeout=unit(1))
    pair.connection.data_received(BAD_FRAME)
    assert pair.transport.eof_written and not pair.transport.closing
    pair.connection._close_expired()  # the close timer fires: the peer never sent EOF
    assert pair.transport.closing
    assert not pair.transport.aborted


async def test_lingering_reads_even_when_the_message_queue_is_full() -> None:
    pair = make_pair(half_close=True, max_queue=1)
    pair.peer.send_text(b"unread")
    pair.deliver()
    assert not pair.transport.reading  # paused at the queue's high-water mark
    closing = asyncio.create_task(pair.connection.close())  # without reading it
    await asyncio.sleep(0)
    pair.received()
    pair.deliver()  # the peer's close reply: the closing handshake is done
    assert pair.transport.eof_written
    assert pair.transport.reading  # reading on to the peer's EOF
    pair.transport.lose(None)
    await asyncio.wait_for(closing, unit(1))


async def test_after_a_peer_eof_the_connection_does_not_half_close() -> None:
    pair = make_pair(half_close=True)
    pair.connection.eof_received()
    assert pair.transport.closing and not pair.transport.eof_written


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


async def test_an_idle_connection_has_no_instance_dict() -> None:
    # A server holds thousands of idle connections: every class of the Connection,
    # the Sending and Keepalive mixins included, declares __slots__.
    pair = make_pair()
    assert not hasattr(pair.connection, "__dict__")
    assert all("__slots__" in vars(cls) for cls in type(pair.connection).__mro__[:-1])
