"""The sans-I/O tester protocol in both roles: write modes, reader, handshake, timers.

No socket and no event loop. Against the reference core (:mod:`.loopback`) and against
known-bad variants of it (a client that does not mask, a server that masks, a peer that
closes with the wrong code), and fed bytes by hand where the test is about one rule.
"""

from __future__ import annotations

import pytest

from tests.harness.wire.loopback import URI, Clock, run_case
from wsconform.cases import catalog
from wsconform.harness.record.observation import Observation, TxFrame
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.frame import LENGTH_16, LENGTH_64, WireFrame
from wsconform.harness.wire.reader import BATCH_FRAMES
from wsconform.reference.protocol import handshake as core
from wsconform.reference.protocol.client import ClientProtocol
from wsconform.reference.protocol.connection import Protocol
from wsconform.reference.protocol.http import ResponseParser
from wsconform.reference.protocol.server import ServerProtocol

ROLES = [tester.CLIENT, tester.SERVER]
IDS = ["client", "server"]


class Events:
    """Records what the protocol tells the case."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def on_open(self) -> None:
        self.seen.append("open")

    def on_message(self, payload: bytes, binary: bool) -> None:
        self.seen.append(f"message {len(payload)}")

    def on_pong(self, payload: bytes) -> None:
        self.seen.append("pong")

    def on_lost(self) -> None:
        self.seen.append("lost")


def opened_client(clock: Clock) -> tuple[tester.TesterProtocol, Events]:
    """A client-role tester whose handshake the test answered by hand."""
    events = Events()
    conn = tester.TesterProtocol(URI, Observation(), events, clock=clock)
    conn.connection_made()
    [request] = conn.data_to_send()
    key = bytes(request.data).split(b"Sec-WebSocket-Key: ")[1].split(b"\r\n")[0].decode()
    conn.receive_data(core.build_response(key).serialize())
    assert conn.state is tester.OPEN and events.seen == ["open"]
    return conn, events


# --- write modes --------------------------------------------------------------------


def frame_size(payload: int, *, masked: bool) -> int:
    return 2 + (4 if masked else 0) + payload


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_sync_frames_are_each_their_own_write_with_a_turn_after(role: tester.Role) -> None:
    # 5.7: text fin=0, ping, continuation fin=1, each sync; then closeAfter.
    _result, link = run_case(catalog.get("5.7"), role)
    masked = role is tester.CLIENT
    sizes = [frame_size(n, masked=masked) for n in (9, 12, 9)]
    head = link.trace[0]
    assert head[0] == "BURST"  # the request, or the 101 answer
    assert link.trace[1:6] == [
        ("SYNC", sizes[0]), ("turn", 0), ("SYNC", sizes[1]), ("turn", 0), ("SYNC", sizes[2]),
    ]  # fmt: skip


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_chopped_frames_go_out_one_byte_at_a_time(role: tester.Role) -> None:
    # 5.8: the frames of 5.7, chopsize 1: every wire byte its own write, a turn after each.
    _result, link = run_case(catalog.get("5.8"), role)
    masked = role is tester.CLIENT
    total = sum(frame_size(n, masked=masked) for n in (9, 12, 9))
    chopped = link.trace[1 : 1 + 2 * total]
    assert chopped == [("CHOP", 1), ("turn", 0)] * total
    # The wire bytes, joined, are the three frames.
    data = b"".join(bytes(w.data) for w in link.writes[1 : 1 + total])
    assert len(data) == total and data[0] == 0x01  # text, FIN clear


def test_a_burst_of_steps_is_one_write() -> None:
    # 2.10's ten pings are bursts: one write after the request; in the server role they
    # leave with the 101 answer in one write.
    _result, link = run_case(catalog.get("2.10"), tester.CLIENT)
    assert link.trace[0][0] == "BURST" and link.trace[1][0] == "BURST"
    _result, served = run_case(catalog.get("2.10"), tester.SERVER)
    assert served.trace[0] == ("BURST", len(served.writes[0].data))
    assert bytes(served.writes[0].data).startswith(b"HTTP/1.1 101 ")
    assert bytes(served.writes[0].data).endswith(WireFrame(9, b"payload-9").encode())
    assert link.trace[1][1] == 10 * frame_size(len(b"payload-0"), masked=True)


# --- known-bad peers ----------------------------------------------------------------


class UnmaskedClient(ClientProtocol):
    """A client that does not mask its frames."""

    def __init__(self) -> None:
        super().__init__(URI, max_size=2**25)
        self._mask = False


class MaskingServer(ServerProtocol):
    """A server that masks its frames."""

    def __init__(self) -> None:
        super().__init__(max_size=2**25)
        self._mask = True


class PoliteServer(ServerProtocol):
    """A server that fails a connection with 1000 instead of the code the rule says."""

    def fail(self, code: int, reason: str = "") -> None:
        super().fail(1000, reason)


def test_a_client_that_does_not_mask_fails() -> None:
    result, _link = run_case(catalog.get("1.1.1"), tester.SERVER, peer=UnmaskedClient)
    obs = result.observation
    assert obs.failed_by_me and obs.local_close_code == 1002
    assert result.verdicts.behavior.value == "FAILED"


def test_a_server_that_masks_fails() -> None:
    result, _link = run_case(catalog.get("1.1.1"), tester.CLIENT, peer=MaskingServer)
    assert result.observation.failed_by_me
    assert result.verdicts.behavior.value == "FAILED"


def test_a_peer_that_fails_with_1000_gets_wrong_code() -> None:
    # 4.1.1: a frame with reserved opcode 3 must be answered with 1002.
    result, _link = run_case(catalog.get("4.1.1"), tester.CLIENT, peer=PoliteServer)
    assert result.observation.remote_close_code == 1000
    assert result.verdicts.behavior_close.value == "WRONG CODE"


# --- reader, handshake, timers --------------------------------------------------------


def test_a_flood_of_pings_is_read_in_batches() -> None:
    clock = Clock()
    conn, _events = opened_client(clock)
    pings = WireFrame(9, b"x").encode() * (3 * BATCH_FRAMES + 1)
    conn.receive_data(pings)
    assert conn.backlog_pending
    # More bytes while the backlog lasts wait behind it.
    conn.receive_data(WireFrame(9, b"y").encode())
    batches = 1
    while conn.backlog_pending:
        conn.read_backlog()
        batches += 1
    assert batches == 4
    assert conn.obs.rx_frame_stats[9] == 3 * BATCH_FRAMES + 2
    assert conn.obs.tx_frame_stats[10] == 3 * BATCH_FRAMES + 2


def test_pongs_are_withheld_while_the_transport_backlog_is_large() -> None:
    clock = Clock()
    conn, _events = opened_client(clock)
    conn.transport_backlog = tester.PONG_BACKLOG + 1
    conn.receive_data(WireFrame(9, b"x").encode())
    assert conn.obs.pongs_withheld == 1 and 10 not in conn.obs.tx_frame_stats


@pytest.mark.parametrize("role", ROLES, ids=IDS)
def test_open_handshake_timer_is_a_deadline(role: tester.Role) -> None:
    clock = Clock()
    events = Events()
    uri = URI if role is tester.CLIENT else None
    conn = tester.TesterProtocol(uri, Observation(), events, clock=clock, role=role)
    conn.connection_made()
    assert conn.next_deadline == clock.now + tester.WireTimeouts().open_handshake
    conn.data_to_send()
    conn.deadlines_passed(clock.now + 1)
    assert conn.state is tester.CONNECTING
    conn.deadlines_passed(clock.now + 5)
    obs = conn.obs
    assert conn.state is tester.CLOSED and conn.close_transport is tester.ABORT
    assert obs.was_open_handshake_timeout and obs.handshake_failure is not None
    assert obs.handshake_failure.startswith("no ")
    conn.connection_lost()
    assert events.seen == ["lost"] and conn.next_deadline is None


def test_server_role_reads_the_request_itself() -> None:
    clock = Clock()
    events = Events()
    conn = tester.TesterProtocol(None, Observation(), events, clock=clock, role=tester.SERVER)
    conn.connection_made()
    client = ClientProtocol(URI)
    client.send_request(client.connect())
    [request] = client.data_to_send()
    frame = WireFrame(1, b"hi", masked=True, mask_key=b"abcd").encode()
    for i in range(len(request)):  # one byte at a time, then a frame with the last one
        conn.receive_data(request[i : i + 1] + (frame if i == len(request) - 1 else b""))
    assert events.seen == ["open", "message 2"]
    [answer] = conn.data_to_send()
    response = ResponseParser().feed(bytes(answer.data))
    assert response is not None and response.status_code == 101
    assert conn.next_deadline is None  # the opening handshake timer is off


def test_server_role_answers_a_bad_request_with_400() -> None:
    conn = tester.TesterProtocol(None, Observation(), Events(), clock=Clock(), role=tester.SERVER)
    conn.connection_made()
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    [answer] = conn.data_to_send()
    assert bytes(answer.data).startswith(b"HTTP/1.1 400 ")
    assert conn.close_transport is tester.CLOSE and not conn.obs.opened
    conn.receive_data(b"garbage")  # after the drop: ignored
    assert conn.data_to_send() == []


def test_not_http_fails_the_client_handshake_at_once() -> None:
    conn = tester.TesterProtocol(URI, Observation(), Events(), clock=Clock())
    conn.connection_made()
    conn.receive_data(b"SSH-2.0-OpenSSH\r\n")
    assert conn.close_transport is tester.ABORT
    assert conn.obs.handshake_failure is not None
    assert "not HTTP" in conn.obs.handshake_failure


def test_reference_peers_are_the_real_core() -> None:
    # The loopback's peers are the reference's own classes, not stand-ins.
    _result, link = run_case(catalog.get("1.1.1"), tester.CLIENT)
    assert type(link.peer) is ServerProtocol and isinstance(link.peer, Protocol)


# --- raw frames: SendWireFrame's header fields ------------------------------------------


def test_send_wire_frame_writes_exactly_the_header_fields() -> None:
    conn, _events = opened_client(Clock())
    conn.send_wire_frame(WireFrame(1, b"Hello", masked=False, length_encoding=LENGTH_16))
    conn.send_wire_frame(WireFrame(2, b"", masked=False, length=2**63, length_encoding=LENGTH_64))
    [write] = conn.data_to_send()
    # An unmasked client frame with a 16-bit length for 5 bytes, then a top-bit length.
    assert bytes(write.data) == (
        b"\x81\x7e\x00\x05Hello" + b"\x82\x7f" + (2**63).to_bytes(8, "big")
    )
    assert [entry.mask for entry in conn.obs.wirelog if isinstance(entry, TxFrame)] == [
        None,
        None,
    ]


def test_send_wire_frame_gives_a_masked_frame_a_fresh_key_and_chops_its_header() -> None:
    conn, _events = opened_client(Clock())
    payload = b"*" * 126
    conn.send_wire_frame(WireFrame(1, payload, masked=True), chopsize=1, chop_header=True)
    writes = []
    while True:
        out = conn.data_to_send()
        writes += out
        if not conn.turn_awaited:
            break
        conn.next_turn()
    # 8 header octets (16-bit length, masking key) one at a time, then the payload.
    assert [len(w.data) for w in writes] == [1] * 8 + [126]
    header = b"".join(bytes(w.data) for w in writes[:8])
    assert header[:4] == b"\x81\xfe\x00\x7e"
    [entry] = [e for e in conn.obs.wirelog if isinstance(e, TxFrame)]
    assert entry.mask == header[4:8] and entry.chopsize == 1


def test_wsconform_cases_judge_close_codes_by_the_registry() -> None:
    assert not tester.close_code_valid(1012)
    assert all(tester.close_code_valid(code, registry=True) for code in (1012, 1013, 1014))
    for code in (1004, 1005, 1006, 1015, 1016, 2999, 5000, 999):
        assert not tester.close_code_valid(code, registry=True), code
    # Autobahn's case 7.7.x behaviour stays; a wsconform case accepts the echoed 1012.
    result, _link = run_case(catalog.get("cl.1.1"), tester.CLIENT)
    assert result.observation.remote_close_code == 1012
    assert not result.observation.failed_by_me
    assert result.verdicts.behavior.value == "OK"


def test_the_closing_times_are_recorded_on_the_clock() -> None:
    result, _link = run_case(catalog.get("1.1.1"), tester.CLIENT)
    obs = result.observation
    assert obs.opened_at is not None and obs.close_done_at is not None
    assert obs.lost_at is not None and obs.opened_at <= obs.close_done_at <= obs.lost_at
    assert obs.eof_received
