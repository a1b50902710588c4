"""Stateful fuzzing of the connection: two machines.

:class:`ConnectionPair`: a client and a server connection talking to each other in
memory. It runs the opening handshake
(with or without permessage-deflate), then interleaves sends of each side (messages
whole or fragmented, pings, pongs, a close), deliveries of any number of the bytes in
flight, and the end of TCP. The model is the list of frames each side has sent and the
other has not received yet: every event must be the next of those (section 5.4: order is
kept), a ping is answered by an equal pong (5.5.2), a close by a close with its code
(5.5.1), and nothing is processed after a close (section 1.4). The states only move
forward, CONNECTING to OPEN to CLOSING to CLOSED (section 4 and 7), and a send in the
wrong state raises :class:`InvalidState`.

:class:`EndpointUnderTest`: one endpoint of either role fed frames (valid messages,
control frames, mutated frames) by a tester while it sends and closes on its own; it
must do what :mod:`tests.reference.protocol.rfc6455_model` predicts. ``make fuzz`` runs
both with the ``nightly`` profile (more examples, longer runs).
"""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.reference.protocol.rfc6455_model import predict
from tests.strategies import control_frames, fragmented_messages, frames
from wsconform.harness.fuzz.strategies import mutated_frames
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.close import Close
from wsconform.reference.protocol.connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SERVER,
    Protocol,
)
from wsconform.reference.protocol.exceptions import FailConnection, InvalidState
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, PONG, TEXT, Frame, Parser
from wsconform.reference.protocol.http import Request, Response
from wsconform.reference.protocol.server import ServerProtocol

pytestmark = pytest.mark.fuzz

SIDES = st.sampled_from(["client", "server"])
_CLOSE_CODES = st.sampled_from([None, 1000, 1001, 1003, 1008, 1011, 3000, 4999])


class Endpoint:
    """One side: its connection, the bytes it wrote not yet delivered, and the frames
    it sent that the other side has not received yet (the model)."""

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.in_flight = bytearray()
        self.unreceived: list[Frame] = []
        self.fragmenting: bool = False
        self.fragmenting_text = False
        self.eof = False

    def collect(self) -> None:
        for data in self.protocol.data_to_send():
            self.in_flight += data


class ConnectionPair(RuleBasedStateMachine):
    """A client and a server over an in-memory TCP connection."""

    def __init__(self) -> None:
        super().__init__()
        self.client = Endpoint(ClientProtocol("ws://127.0.0.1/chat"))
        self.server = Endpoint(ServerProtocol())
        self.states = {"client": CONNECTING, "server": CONNECTING}

    def ends(self, side: str) -> tuple[Endpoint, Endpoint]:
        return (self.client, self.server) if side == "client" else (self.server, self.client)

    @initialize(deflate=st.booleans(), no_context_takeover=st.booleans())
    def opening_handshake(self, deflate: bool, no_context_takeover: bool) -> None:
        client = self.client.protocol
        server = self.server.protocol
        assert isinstance(client, ClientProtocol) and isinstance(server, ServerProtocol)
        if deflate:
            client.available_extensions = [
                ClientPerMessageDeflateFactory(client_no_context_takeover=no_context_takeover)
            ]
            server.available_extensions = [ServerPerMessageDeflateFactory()]
        client.send_request(client.connect())
        self.client.collect()
        server.receive_data(bytes(self.client.in_flight))
        self.client.in_flight.clear()
        [request] = server.events_received()
        assert isinstance(request, Request)
        server.send_response(server.accept(request))
        assert server.state is OPEN
        self.server.collect()
        client.receive_data(bytes(self.server.in_flight))
        self.server.in_flight.clear()
        [response] = client.events_received()
        assert isinstance(response, Response)
        assert client.state is OPEN
        assert len(client.extensions) == len(server.extensions) == int(deflate)

    # --- sending ------------------------------------------------------------------------

    @rule(side=SIDES, text=st.booleans(), data=st.binary(max_size=200), fin=st.booleans())
    def send_message(self, side: str, text: bool, data: bytes, fin: bool) -> None:
        me, _peer = self.ends(side)
        opcode = TEXT if text else BINARY
        if text:
            data = data.decode("latin-1").encode()  # valid UTF-8
        send = me.protocol.send_text if text else me.protocol.send_binary
        if me.protocol.state is not OPEN or me.fragmenting:
            with pytest.raises(InvalidState):
                send(data, fin)
            return
        send(data, fin)
        me.fragmenting = not fin
        me.fragmenting_text = text and not fin
        me.unreceived.append(Frame(opcode, data, fin))
        me.collect()

    @rule(side=SIDES, data=st.binary(max_size=200), fin=st.booleans())
    def send_continuation(self, side: str, data: bytes, fin: bool) -> None:
        me, _peer = self.ends(side)
        if me.fragmenting_text:
            # Whole code points (test_connection_fuzz.py splits them anywhere).
            data = data.decode("latin-1").encode()
        if me.protocol.state is not OPEN or not me.fragmenting:
            with pytest.raises(InvalidState):
                me.protocol.send_continuation(data, fin)
            return
        me.protocol.send_continuation(data, fin)
        me.fragmenting = not fin
        me.fragmenting_text = me.fragmenting_text and not fin
        me.unreceived.append(Frame(CONT, data, fin))
        me.collect()

    @rule(side=SIDES, data=st.binary(max_size=125), ping=st.booleans())
    def send_control(self, side: str, data: bytes, ping: bool) -> None:
        me, _peer = self.ends(side)
        send = me.protocol.send_ping if ping else me.protocol.send_pong
        if me.protocol.state is not OPEN:
            with pytest.raises(InvalidState):
                send(data)
            return
        send(data)
        me.unreceived.append(Frame(PING if ping else PONG, data))
        me.collect()

    @rule(side=SIDES, code=_CLOSE_CODES, reason=st.text(max_size=20))
    def send_close(self, side: str, code: int | None, reason: str) -> None:
        me, _peer = self.ends(side)
        if code is None:
            reason = ""
        if me.protocol.state is not OPEN:
            with pytest.raises(InvalidState):
                me.protocol.send_close(code, reason)
            return
        me.protocol.send_close(code, reason)
        assert me.protocol.state is CLOSING
        body = Close(1005 if code is None else code, reason).serialize()
        me.unreceived.append(Frame(CLOSE, body))
        me.collect()

    # --- the network ----------------------------------------------------------------------

    @precondition(lambda self: self.client.in_flight or self.server.in_flight)
    @rule(side=SIDES, size=st.integers(1, 300))
    def deliver(self, side: str, size: int) -> None:
        """Deliver up to ``size`` of the bytes ``side`` wrote to the other side."""
        me, peer = self.ends(side)
        if not me.in_flight or peer.eof:
            return
        chunk = bytes(me.in_flight[:size])
        del me.in_flight[:size]
        self.receive(me, peer, chunk)

    def deliver_all(self, side: str) -> None:
        me, peer = self.ends(side)
        chunk = bytes(me.in_flight)
        me.in_flight.clear()
        if not peer.eof:
            self.receive(me, peer, chunk)

    def receive(self, me: Endpoint, peer: Endpoint, chunk: bytes) -> None:
        peer.protocol.receive_data(chunk)
        self.check_events(me, peer)

    def check_events(self, me: Endpoint, peer: Endpoint) -> None:
        """Each event at ``peer`` is the next frame ``me`` sent; answers are queued."""
        for event in peer.protocol.events_received():
            assert isinstance(event, Frame)
            assert me.unreceived, f"unexpected {event}"
            assert event == me.unreceived.pop(0)
            if event.opcode is PING:
                # Section 5.5.2: a pong with identical application data.
                peer.unreceived.append(Frame(PONG, event.data))
            elif event.opcode is CLOSE:
                # Nothing after the close is processed: the rest is dropped.
                me.unreceived.clear()
                code = Close.parse(event.data).code
                if peer.protocol.close_sent is not None and peer.protocol.close_rcvd_then_sent:
                    # Section 5.5.1: the answer echoes the code, without a reason.
                    peer.unreceived.append(Frame(CLOSE, Close(code, "").serialize()))
                    peer.fragmenting = peer.fragmenting_text = False
        peer.collect()

    @rule(flush=st.booleans())
    def close_tcp(self, flush: bool) -> None:
        """The TCP connection ends, after the bytes in flight (``flush``) or not."""
        if flush:
            for _ in range(4):
                self.deliver_all("client")
                self.deliver_all("server")
        for end in (self.client, self.server):
            if not end.eof:
                end.protocol.receive_eof()
                end.eof = True
            assert end.protocol.state is CLOSED
            assert end.protocol.transport_should_close()
            rcvd = end.protocol.close_rcvd
            assert end.protocol.close_code == (1006 if rcvd is None else rcvd.code)

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def states_only_move_forward(self) -> None:
        for name, end in (("client", self.client), ("server", self.server)):
            state = end.protocol.state
            assert state >= self.states[name], f"{name}: {self.states[name].name} -> {state.name}"
            self.states[name] = state

    @invariant()
    def conforming_peers_never_fail(self) -> None:
        for end in (self.client, self.server):
            assert end.protocol.parser_exc is None
            assert end.protocol.handshake_exc is None

    @invariant()
    def closing_means_a_close_was_sent(self) -> None:
        for end in (self.client, self.server):
            protocol = end.protocol
            if protocol.state is CLOSING:
                assert protocol.close_sent is not None
                assert protocol.close_expected()
            if protocol.state is OPEN:
                assert protocol.close_sent is None and protocol.close_rcvd is None

    @invariant()
    def only_the_server_closes_tcp_first(self) -> None:
        # Section 7.1.1: the server closes TCP once both closes were seen; the client
        # waits for it (unless the connection ended).
        for end in (self.client, self.server):
            protocol = end.protocol
            done = protocol.close_sent is not None and protocol.close_rcvd is not None
            if end.eof:
                continue
            if protocol.side is SERVER:
                assert protocol.transport_should_close() is done
            else:
                assert not protocol.transport_should_close()


TestConnectionPair = ConnectionPair.TestCase


class EndpointUnderTest(RuleBasedStateMachine):
    """One reference endpoint (either role) and a tester that writes raw frames to it,
    valid or mutated, while the endpoint sends messages, pings and a close of its own.

    After each frame the endpoint's events, pongs and failure are those the model of
    :mod:`tests.reference.protocol.rfc6455_model` predicts for everything sent so far;
    the endpoint's own close changes only what it writes (no close frame answers a
    close, and none is sent on failure, once it sent one: section 7.1.7).
    """

    @initialize(server=st.booleans())
    def start(self, server: bool) -> None:
        self.side = SERVER if server else CLIENT
        self.protocol = Protocol(self.side, state=OPEN)
        self.sent: list[WireFrame] = []
        self.events: list[Frame] = []
        self.written: list[Frame] = []
        self.out = Parser(mask=self.side is CLIENT)
        self.closed_first = False

    @rule(message=fragmented_messages())
    def tester_sends_a_message(self, message: list[Frame]) -> None:
        """A valid message, fragmented anywhere, pings and pongs between fragments."""
        for frame in message:
            self.deliver(WireFrame.from_frame(frame, masked=self.side is SERVER))

    @rule(frame=control_frames())
    def tester_sends_a_control_frame(self, frame: Frame) -> None:
        """A valid ping, pong or close."""
        self.deliver(WireFrame.from_frame(frame, masked=self.side is SERVER))

    @rule(data=st.data())
    def tester_sends_a_mutated_frame(self, data: st.DataObject) -> None:
        """Any frame, each mutation of :func:`mutated_frames` behind a boolean."""
        frame = data.draw(frames(max_size=300))
        text = frame.opcode is TEXT
        self.deliver(data.draw(mutated_frames(frame, masked=self.side is SERVER, text=text)))

    def deliver(self, wire: WireFrame) -> None:
        self.sent.append(wire)
        self.protocol.receive_data(wire.encode())
        for event in self.protocol.events_received():
            assert isinstance(event, Frame)
            self.events.append(event)
        self.collect()

    @rule(data=st.binary(max_size=50), ping=st.booleans())
    def endpoint_sends(self, data: bytes, ping: bool) -> None:
        if self.protocol.state is not OPEN:
            with pytest.raises(InvalidState):
                self.protocol.send_binary(data)
            return
        if ping:
            self.protocol.send_ping(data)
        else:
            self.protocol.send_binary(data)
        self.collect()
        assert self.written[-1] == Frame(PING if ping else BINARY, data)

    @rule(code=_CLOSE_CODES)
    def endpoint_closes(self, code: int | None) -> None:
        if self.protocol.state is not OPEN:
            with pytest.raises(InvalidState):
                self.protocol.send_close(code)
            return
        self.protocol.send_close(code)
        self.closed_first = self.protocol.close_rcvd is None
        self.collect()
        assert self.written[-1].opcode is CLOSE

    def collect(self) -> None:
        self.out.feed(b"".join(self.protocol.data_to_send()))
        self.written += self.out.frames()

    @invariant()
    def as_the_model_predicts(self) -> None:
        if not hasattr(self, "protocol"):
            return
        expected = predict(tuple(self.sent), self.side)
        exc = self.protocol.parser_exc
        assert exc is None or isinstance(exc, FailConnection)
        code = None if exc is None else exc.code
        pongs = [f.data for f in self.written if f.opcode is PONG]
        if expected.unknown:
            # Past a false length only the frames before it are predicted.
            assert self.events[: len(expected.accepted)] == expected.accepted
            assert code in (None, 1002, 1007)
            return
        assert self.events == expected.accepted
        assert code == expected.code
        assert pongs == expected.pongs
        closes = [f for f in self.written if f.opcode is CLOSE]
        if self.closed_first:
            # Our close went first: nothing answers the peer's, no close on failure.
            assert len(closes) == 1
        elif expected.code is not None or expected.close is not None:
            [close] = closes
            want = expected.code if expected.code is not None else expected.close
            assert (int.from_bytes(close.data[:2]) if close.data else 1005) == want
        else:
            assert closes == []
        failed_or_closed = code is not None or closes
        assert self.protocol.state is (CLOSING if failed_or_closed else OPEN)


TestEndpointUnderTest = EndpointUnderTest.TestCase
