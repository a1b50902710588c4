"""In-process fuzzing of the opening handshake of both roles (RFC 6455 section 4).

A valid request (from :class:`ClientProtocol`, with or without a permessage-deflate
offer) or a valid 101 response (from :class:`ServerProtocol`) is mutated behind
booleans: a header line dropped, duplicated or given another value, bytes inserted,
the head cut short, or plain random bytes instead. The connection that reads it must
never raise: it gets a :class:`Request` or :class:`Response` event and goes on, or sets
``handshake_exc`` and asks to close TCP (a server answers with an HTTP error first).
The unmutated handshake always opens both ends, and the result does not depend on how
the bytes are cut. ``make fuzz`` runs these with the ``nightly`` profile.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import event as label
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.connection import CONNECTING, OPEN
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.http import Request, Response
from wsconform.reference.protocol.server import ServerProtocol

pytestmark = pytest.mark.fuzz


@st.composite
def heads(draw: st.DrawFn, head: bytes) -> tuple[bytes, bool]:
    """``head`` (an HTTP head), each mutation behind a boolean; and whether any applied."""
    if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(max_size=300)), True
    lines = head.split(b"\r\n")
    mutated = False
    # lines[0] is the start line; the head ends with two empty strings.
    fields = range(1, len(lines) - 2)
    if draw(st.booleans()):
        del lines[draw(st.sampled_from(fields))]
        mutated = True
    if draw(st.booleans()):
        index = draw(st.sampled_from(range(1, len(lines) - 2)))
        lines.insert(index, lines[index])
        mutated = True
    if draw(st.booleans()):
        index = draw(st.sampled_from(range(0, len(lines) - 2)))
        name, _, _value = lines[index].partition(b":")
        value = draw(st.binary(max_size=30))
        lines[index] = name + b": " + value if index else value
        mutated = True
    data = b"\r\n".join(lines)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=10)) + data[at:]
        mutated = True
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data) - 1))]
        mutated = True
    return data, mutated


@dataclasses.dataclass
class Seen:
    """What one end did with the bytes of a head (comparable across cuts)."""

    events: list[str]
    state: str
    error: str | None
    should_close: bool
    wrote: int


def client_and_server(deflate: bool) -> tuple[ClientProtocol, ServerProtocol]:
    client = ClientProtocol(
        "ws://127.0.0.1/path",
        extensions=[ClientPerMessageDeflateFactory()] if deflate else [],
    )
    server = ServerProtocol(extensions=[ServerPerMessageDeflateFactory()] if deflate else [])
    return client, server


def serve(server: ServerProtocol, pieces: list[bytes], eof: bool) -> Seen:
    """Feed a request to ``server``; answer a request event as a server does."""
    events: list[str] = []
    for piece in pieces:
        server.receive_data(piece)
    if eof:
        server.receive_eof()
    for event in server.events_received():
        assert isinstance(event, Request)
        response = server.accept(event)
        assert isinstance(response, Response)
        if server.state is CONNECTING:
            server.send_response(response)
        events.append(f"request -> {response.status_code}")
    wrote = sum(len(data) for data in server.data_to_send())
    error = type(server.handshake_exc).__name__ if server.handshake_exc else None
    if error is not None and not eof:
        # A request that cannot be read is answered (with 400 or so), then TCP closes.
        assert wrote > 0
        assert server.transport_should_close()
    return Seen(events, server.state.name, error, server.transport_should_close(), wrote)


@given(data=st.data(), deflate=st.booleans(), eof=st.booleans())
def test_the_server_reads_any_request_without_raising(
    data: st.DataObject, deflate: bool, eof: bool
) -> None:
    client, _ = client_and_server(deflate)
    request = client.connect().serialize()
    head, mutated = data.draw(heads(request))
    seen = serve(client_and_server(deflate)[1], [head], eof)
    label(f"server: {seen.events[0] if seen.events else seen.error}")
    if not mutated and not eof:
        assert seen.events == ["request -> 101"]
        assert (seen.state, seen.error) == (OPEN.name, None)
    if seen.state == OPEN.name:
        assert seen.events == ["request -> 101"] and seen.error is None
    pieces = data.draw(chunkings(head, max_chunks=20))
    assert serve(client_and_server(deflate)[1], pieces, eof) == seen


def answer(client: ClientProtocol, pieces: list[bytes], eof: bool) -> Seen:
    for piece in pieces:
        client.receive_data(piece)
    if eof:
        client.receive_eof()
    events = []
    for event in client.events_received():
        assert isinstance(event, Response)
        events.append(f"response {event.status_code}")
    error = type(client.handshake_exc).__name__ if client.handshake_exc else None
    if error is not None:
        # Section 4.1: the client fails the connection, and no close frame can be sent.
        assert client.transport_should_close()
        assert client.state is not OPEN or client.close_sent is not None
    wrote = sum(len(data) for data in client.data_to_send())
    return Seen(events, client.state.name, error, client.transport_should_close(), wrote)


@given(data=st.data(), deflate=st.booleans(), eof=st.booleans())
def test_the_client_reads_any_response_without_raising(
    data: st.DataObject, deflate: bool, eof: bool
) -> None:
    client, server = client_and_server(deflate)
    request = client.connect()
    client.send_request(request)
    client.data_to_send()
    server.receive_data(request.serialize())
    [received] = server.events_received()
    assert isinstance(received, Request)
    response = server.accept(received).serialize()
    head, mutated = data.draw(heads(response))
    # The client reads the response whole; a twin (same request, same key) reads it cut.
    seen = answer(client, [head], eof)
    label(f"client: {seen.state} {seen.error}")
    if not mutated and not eof:
        assert (seen.events, seen.state, seen.error) == (["response 101"], OPEN.name, None)
    pieces = data.draw(chunkings(head, max_chunks=20))
    assert answer(_same_client(client), pieces, eof) == seen


def _same_client(client: ClientProtocol) -> ClientProtocol:
    """A fresh client that sent the same request (same key and offers) as ``client``."""
    fresh = ClientProtocol("ws://127.0.0.1/path", extensions=list(client.available_extensions))
    assert client.request is not None
    fresh.send_request(client.request)
    fresh.data_to_send()
    return fresh
