"""The observation record: statistics, wire log switches and bounds."""

from __future__ import annotations

from wsconform.cases.model import Message, Pong, Timeout
from wsconform.harness.record import observation
from wsconform.harness.record.observation import (
    DISCARDED_KEEP,
    RECEIVED_BYTES_LIMIT,
    RECEIVED_LIMIT,
    WIRELOG_BYTES_LIMIT,
    WIRELOG_HEAD,
    WIRELOG_LIMIT,
    KillAfterArmed,
    Observation,
    RxFrame,
    RxOctets,
    TrafficStats,
    TxFrame,
    TxOctets,
    WirelogMode,
)


def test_exports() -> None:
    for name in observation.__all__:
        assert hasattr(observation, name), name


def test_stats_count_even_with_wirelog_off() -> None:
    obs = Observation()
    obs.note_tx_octets(b"x" * 997, sync=True)
    obs.set_wirelog(False, marker=False)
    obs.note_tx_octets(b"x" * 997, sync=True)
    obs.note_rx_octets(b"abc")
    obs.note_rx_frame(1, True, 0, b"abc", mask=None)
    obs.note_tx_frame(1, True, 0, b"*", mask=b"\x01\x02\x03\x04", repeat_length=10)
    assert obs.tx_octet_stats == {997: 2}
    assert obs.rx_octet_stats == {3: 1}
    assert obs.rx_frame_stats == {1: 1}
    assert obs.tx_frame_stats == {1: 1}
    # Only the first write was logged, and switching silently left no marker.
    assert obs.wirelog == [TxOctets(997, b"x" * 64, True)]
    assert not obs.create_wirelog


def test_wirelog_marker_only_on_change() -> None:
    obs = Observation()
    obs.set_wirelog(True)
    assert obs.wirelog == []
    obs.set_wirelog(False)
    obs.log(KillAfterArmed(1))  # timer entries are logged while off
    obs.note_rx_octets(b"a")
    obs.set_wirelog(False)
    obs.set_wirelog(True)
    assert obs.wirelog == [WirelogMode(False), KillAfterArmed(1), WirelogMode(True)]


def test_frame_entries_keep_a_head_only() -> None:
    obs = Observation()
    obs.note_rx_frame(2, False, 4, bytes(1000), mask=b"abcd")
    obs.note_tx_frame(9, True, 0, b"p" * 100, mask=None, chopsize=1, sync=True)
    rx, tx = obs.wirelog
    assert rx == RxFrame(1000, bytes(64), 2, False, 4, True, b"abcd")
    assert tx == TxFrame(100, b"p" * 64, 9, True, 0, None, None, 1, True)
    assert RxOctets.of(b"abc") == RxOctets(3, b"abc")


def test_wirelog_bound() -> None:
    obs = Observation()
    for _ in range(WIRELOG_LIMIT + 5):
        obs.log(KillAfterArmed(1))
    assert len(obs.wirelog) == WIRELOG_LIMIT
    assert obs.wirelog_truncated
    assert obs.wirelog_dropped == 5


def test_wirelog_byte_bound_and_exact_statistics_past_it() -> None:
    obs = Observation()
    fits = WIRELOG_BYTES_LIMIT // WIRELOG_HEAD
    for _ in range(fits + 10):
        obs.note_rx_octets(bytes(1000))
    assert len(obs.wirelog) == fits and obs.wirelog_bytes == WIRELOG_BYTES_LIMIT
    assert obs.wirelog_dropped == 10
    # Once full, the log keeps nothing, not even a small entry; statistics stay exact.
    obs.log(KillAfterArmed(1))
    obs.note_tx_octets(b"x", sync=False)
    assert len(obs.wirelog) == fits and obs.wirelog_dropped == 12
    assert obs.rx_octet_stats == {1000: fits + 10}
    assert obs.tx_octet_stats == {1: 1}


def test_log_at_puts_an_entry_before_later_ones() -> None:
    obs = Observation()
    obs.note_rx_octets(b"ab")
    slot = obs.log_slot()
    obs.note_tx_frame(8, True, 0, b"\x03\xea", mask=None)
    obs.log_at(slot, RxFrame(1, b"a", 1, True, 2, False, None))
    assert [type(e).__name__ for e in obs.wirelog] == ["RxOctets", "RxFrame", "TxFrame"]
    obs.log_at(None, KillAfterArmed(1))
    assert obs.wirelog[-1] == KillAfterArmed(1)


def test_discarded_frames_are_counted_and_the_first_kept() -> None:
    obs = Observation()
    frames = [RxFrame(1, bytes([i]), 2, True, 0, False, None) for i in range(DISCARDED_KEEP + 3)]
    for frame in frames:
        obs.note_discarded(frame)
    assert obs.discarded_frames == DISCARDED_KEEP + 3
    assert obs.discarded == frames[:DISCARDED_KEEP]


def test_received_bounds() -> None:
    obs = Observation()
    obs.record(Message(b"a"))
    obs.record(Timeout("A"))
    assert obs.received == [Message(b"a"), Timeout("A")]
    for _ in range(RECEIVED_LIMIT):
        obs.record(Pong(b""))
    assert len(obs.received) == RECEIVED_LIMIT
    assert obs.received_truncated
    assert obs.received_dropped == 2
    big = Observation()
    big.record(Message(bytes(RECEIVED_BYTES_LIMIT + 1)))
    assert big.received == []
    assert big.received_truncated


def test_traffic_ratios() -> None:
    stats = TrafficStats()
    assert stats.outgoing_compression_ratio is None
    assert stats.incoming_websocket_overhead is None
    stats.outgoing_octets_app_level = 1000
    stats.outgoing_octets_websocket_level = 250
    stats.outgoing_octets_wire_level = 300
    stats.incoming_octets_app_level = 100
    stats.incoming_octets_websocket_level = 50
    stats.incoming_octets_wire_level = 60
    assert stats.outgoing_compression_ratio == 0.25
    assert stats.outgoing_websocket_overhead == 0.2
    assert stats.incoming_compression_ratio == 0.5
    assert stats.incoming_websocket_overhead == 0.2
    snap = stats.snapshot()
    stats.outgoing_octets_app_level = 0
    assert snap.outgoing_octets_app_level == 1000


def test_views_of_buffers_are_accepted() -> None:
    obs = Observation()
    buffer = bytearray(b"abcdef")
    obs.note_tx_octets(memoryview(buffer)[1:4], sync=False)
    obs.note_rx_octets(buffer)
    buffer[:] = b"zzzzzz"  # the log keeps its own copy
    assert obs.wirelog == [TxOctets(3, b"bcd", False), RxOctets(6, b"abcdef")]
    assert obs.tx_octet_stats == {3: 1}
