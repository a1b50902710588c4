"""Autobahn's send queue without I/O: the exact writes each mode gives, and their counts.

docs/autobahn.md section 2.2: a sync write is its own write with a turn of the loop
after it; chopsize n cuts the bytes into n-byte sync writes; a write issued while the
queue is not empty waits behind it; bursts issued with an empty queue are joined.
"""

from __future__ import annotations

from wsconform.harness.wire.writes import BURST, CHOP, QUEUED, SYNC, WriteQueue
from wsconform.reference.protocol.mask import BytesLike


def counting() -> tuple[WriteQueue, list[tuple[bytes, bool]]]:
    counted: list[tuple[bytes, bool]] = []

    def count(data: BytesLike, sync: bool) -> None:
        counted.append((bytes(data), sync))

    return WriteQueue(count), counted


def drive(queue: WriteQueue) -> list[tuple[str, bytes] | str]:
    """Take the writes as the front end does, with a ``turn`` where the loop runs."""
    seen: list[tuple[str, bytes] | str] = []
    for _ in range(100):
        seen += [(write.mode.name, bytes(write.data)) for write in queue.take()]
        if not queue.turn_awaited:
            return seen
        seen.append("turn")
        queue.next_turn()
    raise AssertionError("the queue never empties")


def test_bursts_are_joined_into_one_write() -> None:
    queue, counted = counting()
    queue.write(b"ab")
    queue.write(b"cd")
    assert drive(queue) == [("BURST", b"abcd")]
    # Each write is counted under its own size, when issued.
    assert counted == [(b"ab", False), (b"cd", False)]


def test_sync_write_flushes_the_burst_then_awaits_a_turn() -> None:
    queue, counted = counting()
    queue.write(b"A")
    queue.write(b"B", sync=True)
    queue.write(b"C")
    queue.write(b"D")
    assert drive(queue) == [("BURST", b"A"), ("SYNC", b"B"), "turn", ("BURST", b"CD")]
    assert counted == [(b"A", False), (b"B", True), (b"C", False), (b"D", False)]


def test_writes_behind_a_sync_one_wait_their_turn_each_on_its_own() -> None:
    queue, counted = counting()
    queue.write(b"B", sync=True)
    queue.write(b"C", sync=True)
    queue.write(b"D")
    queue.write(b"E")
    assert drive(queue) == [
        ("SYNC", b"B"), "turn", ("SYNC", b"C"), "turn", ("QUEUED", b"D"), "turn",
        ("QUEUED", b"E"), "turn",
    ]  # fmt: skip
    # A queued write is counted when it is handed out, not when it is issued.
    assert counted == [(b"B", True), (b"C", True), (b"D", False), (b"E", False)]


def test_chopsize_cuts_into_sync_pieces() -> None:
    queue, counted = counting()
    queue.write(b"hello", chopsize=2)
    queue.write(b"!")
    assert drive(queue) == [
        ("CHOP", b"he"), "turn", ("CHOP", b"ll"), "turn", ("CHOP", b"o"), "turn",
        ("QUEUED", b"!"), "turn",
    ]  # fmt: skip
    assert [sync for _data, sync in counted] == [True, True, True, False]


def test_an_empty_chopped_write_is_one_empty_piece() -> None:
    queue, _counted = counting()
    queue.write(b"", chopsize=4)
    assert drive(queue) == [("CHOP", b""), "turn"]


def test_drain_hands_everything_out_with_no_turns() -> None:
    queue, counted = counting()
    queue.write(b"A")
    queue.write(b"B", sync=True)
    queue.write(b"C", sync=True)
    queue.write(b"D", chopsize=1)
    queue.take()
    queue.drain()
    assert [(w.mode, bytes(w.data)) for w in queue.take()] == [(BURST, b"C"), (BURST, b"D")]
    assert not queue.turn_awaited and not queue.pending
    assert counted[-2:] == [(b"C", True), (b"D", True)]


def test_discard_keeps_what_was_handed_out() -> None:
    queue, _counted = counting()
    queue.write(b"A", sync=True)
    queue.write(b"B")
    queue.discard()
    assert [(w.mode, bytes(w.data)) for w in queue.take()] == [(SYNC, b"A")]
    assert not queue.pending and not queue.turn_awaited
    assert {BURST, SYNC, CHOP, QUEUED} == set(type(BURST))
