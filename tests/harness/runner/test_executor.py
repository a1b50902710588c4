"""The case executor and the tester connection in both roles, with no socket at all.

A :class:`MemoryTransport` stands in for TCP: what the tester writes is parsed with the
permissive codec, what the test feeds is what the peer "sent". The tests play a
conforming peer (or one that breaks a rule) by hand and check the verdicts the case
executor and the reader produce.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from wsconform.cases import catalog
from wsconform.harness.record.observation import Observation
from wsconform.harness.runner.config import RunOptions, Timeouts
from wsconform.harness.runner.executor import CaseExecutor, ServedCase
from wsconform.harness.wire import connection as wire
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.connection import CLIENT, SERVER
from wsconform.harness.wire.frame import WireFrame, WireParser
from wsconform.reference.protocol import handshake as core
from wsconform.reference.protocol.http import RequestParser, ResponseParser
from wsconform.reference.protocol.uri import parse_uri

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
REQUEST = (
    "GET /runCase?case=1&agent=a HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
)


def synchronous(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """Run an async test in its own event loop."""

    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


class MemoryTransport(asyncio.Transport):
    """Keeps what is written; ``close``/``abort`` report the connection lost."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.written = bytearray()
        self.closing = False
        self.aborted = False

    def write(self, data: Any) -> None:
        assert not self.closing
        self.written += data

    def is_closing(self) -> bool:
        return self.closing

    def _lose(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    def close(self) -> None:
        self._lose()

    def abort(self) -> None:
        self.aborted = True
        self._lose()

    def get_write_buffer_size(self) -> int:
        return 0

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


class Peer:
    """The other end: parses what the tester wrote, frames what the peer sends."""

    def __init__(self, transport: MemoryTransport, *, client: bool) -> None:
        self.transport = transport
        self.client = client
        self.parser = WireParser(max_length=2**20)
        self.offset = 0

    def frames(self) -> list[WireFrame]:
        data = bytes(self.transport.written[self.offset :])
        self.offset = len(self.transport.written)
        self.parser.feed(data)
        frames = []
        while (frame := self.parser.next_frame()) is not None:
            frames.append(frame)
        return frames

    def frame(self, opcode: int, payload: bytes, *, masked: bool | None = None) -> bytes:
        masked = self.client if masked is None else masked
        return WireFrame(
            opcode, payload, masked=masked, mask_key=b"abcd" if masked else None
        ).encode()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def ended(executor: CaseExecutor) -> None:
    """Wait until the executor saw TCP go (the loop runs the transport's callbacks)."""
    async with asyncio.timeout(5):
        while not executor.ended:
            await asyncio.sleep(0)


async def served(
    case_id: str, options: RunOptions | None = None
) -> tuple[ServedCase, MemoryTransport, Peer]:
    """A case served to a "client" whose upgrade request has arrived."""
    case = catalog.get(case_id)
    run = ServedCase(case, agent="a", run_index=1, options=options)
    transport = MemoryTransport(run.connection)
    run.connection.connection_made(transport)
    head = (REQUEST + "\r\n").encode()
    request = RequestParser().feed(head)
    assert request is not None
    run.connection.accept(request, head)
    await settle()
    peer = Peer(transport, client=True)
    head_end = transport.written.find(b"\r\n\r\n") + 4
    response = ResponseParser().feed(bytes(transport.written[:head_end]))
    assert response is not None and response.status_code == 101, transport.written
    core.check_response(response, KEY)
    peer.offset = head_end
    return run, transport, peer


@synchronous
async def test_served_echo_case_is_ok() -> None:
    run, transport, peer = await served("1.1.2")
    [frame] = peer.frames()
    # RFC 6455 section 5.1: "A server MUST NOT mask any frames that it sends".
    assert not frame.masked and frame.opcode == 1 and len(frame.payload) == 125
    run.connection.data_received(peer.frame(1, frame.payload))
    await settle()
    [close] = peer.frames()
    assert close.opcode == 8
    run.connection.data_received(peer.frame(8, close.payload))
    result = await asyncio.wait_for(run.result(), 5)
    assert (result.verdicts.behavior, result.verdicts.behavior_close) == ("OK", "OK")
    obs = result.observation
    assert obs.is_server and obs.closed_by_me and obs.was_clean and obs.dropped_by_me
    # The server closes TCP as soon as the closing handshake is done.
    assert transport.aborted


@synchronous
async def test_served_case_fails_an_unmasked_client_frame() -> None:
    run, _transport, peer = await served("1.1.1")
    peer.frames()
    run.connection.data_received(peer.frame(1, b"", masked=False))
    await settle()
    [close] = peer.frames()
    assert close.opcode == 8 and close.payload[:2] == (1002).to_bytes(2, "big")
    run.connection.data_received(peer.frame(8, close.payload))
    result = await asyncio.wait_for(run.result(), 5)
    assert result.observation.failed_by_me
    assert result.verdicts.behavior == "FAILED"


@synchronous
async def test_served_client_close_is_answered_then_tcp_closed() -> None:
    run, transport, peer = await served("7.1.1")
    [message] = peer.frames()
    run.connection.data_received(peer.frame(1, message.payload))
    await settle()
    [close] = peer.frames()
    run.connection.data_received(peer.frame(8, close.payload))
    result = await asyncio.wait_for(run.result(), 5)
    assert result.verdicts.behavior_close == "OK"
    assert transport.closing


@synchronous
async def test_served_request_that_is_not_an_upgrade_gets_400() -> None:
    case = catalog.get("1.1.1")
    run = ServedCase(case, agent="a", run_index=1)
    transport = MemoryTransport(run.connection)
    run.connection.connection_made(transport)
    head = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    request = RequestParser().feed(head)
    assert request is not None
    run.connection.accept(request, head)
    await settle()
    assert transport.written.startswith(b"HTTP/1.1 400 ")
    result = await asyncio.wait_for(run.result(), 5)
    assert not result.observation.opened
    assert result.verdicts.behavior == "FAILED"


@synchronous
async def test_deflate_offer_is_accepted_by_the_case_rule() -> None:
    case = catalog.get("12.1.1")
    options = RunOptions(testdata=lambda name: b"WebSocket " * 100)
    run = ServedCase(case, agent="a", run_index=1, options=options)
    transport = MemoryTransport(run.connection)
    run.connection.connection_made(transport)
    head = (
        REQUEST + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
    ).encode()
    request = RequestParser().feed(head)
    assert request is not None
    run.connection.accept(request, head)
    await settle()
    response = ResponseParser().feed(bytes(transport.written).split(b"\r\n\r\n")[0] + b"\r\n\r\n")
    assert response is not None
    assert response.headers["Sec-WebSocket-Extensions"] == "permessage-deflate"
    assert run.connection.deflate is not None
    run.connection.drop(abort=True)
    await ended(run.executor)


@synchronous
async def test_client_role_executor_against_a_fed_server() -> None:
    case = catalog.get("2.2")
    obs = Observation()
    executor = CaseExecutor(case, obs, RunOptions())
    conn = wire.TesterConnection(parse_uri("ws://127.0.0.1:1/"), obs, executor, role=CLIENT)
    executor.conn = conn.protocol
    transport = MemoryTransport(conn)
    conn.connection_made(transport)
    await settle()
    request = RequestParser().feed(bytes(transport.written))
    assert request is not None
    key = request.headers["Sec-WebSocket-Key"]
    conn.data_received(core.build_response(key).serialize())
    await settle()
    peer = Peer(transport, client=False)
    peer.offset = len(request.raw)
    [ping] = peer.frames()
    assert ping.masked and ping.opcode == 9
    conn.data_received(peer.frame(10, ping.payload))
    await settle()
    [close] = peer.frames()
    assert close.opcode == 8
    conn.data_received(peer.frame(8, close.payload))
    conn.connection_lost(None)
    await ended(executor)
    assert obs.was_clean and not obs.is_server


def test_server_role_connection_needs_no_uri_but_client_does() -> None:
    with pytest.raises(ValueError, match="URI"):
        tester.TesterProtocol(None, Observation(), None, clock=float, role=CLIENT)  # type: ignore[arg-type]
    assert SERVER is not CLIENT


@synchronous
async def test_close_handshake_deadline_without_waiting() -> None:
    # The library timers are deadlines: the test runs them at their time, no sleeping.
    # A closing handshake timer shorter than the case's killAfter(1), so it is due first.
    options = RunOptions(timeouts=Timeouts(close_handshake=0.5))
    run, transport, peer = await served("1.1.1", options)
    [message] = peer.frames()
    run.connection.data_received(peer.frame(1, message.payload))
    await settle()
    [close] = peer.frames()
    assert close.opcode == 8
    protocol = run.connection.protocol
    deadline = protocol.deadlines[wire.CLOSE_HANDSHAKE]
    assert protocol.next_deadline == deadline
    # The adapter's timer handler, called early and then on time.
    run.connection._fire(deadline - 0.001)
    assert not transport.closing
    run.connection._fire(deadline)
    assert transport.aborted
    result = await asyncio.wait_for(run.result(), 5)
    obs = result.observation
    assert obs.was_close_handshake_timeout and not obs.was_clean
    assert result.verdicts.behavior_close == "UNCLEAN"
    assert protocol.deadlines == {}
