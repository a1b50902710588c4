"""The message queue between the reader thread and ``recv()``."""

from __future__ import annotations

import threading
import time

import pytest

from tests.timing import unit
from wsconform.reference.protocol.exceptions import ConcurrencyError
from wsconform.reference.protocol.frames import BINARY, CONT, PING, TEXT, Frame
from wsconform.reference.sync.messages import Assembler


def test_unfragmented_text_and_binary_keep_their_type() -> None:
    assembler = Assembler()
    assembler.put(Frame(TEXT, "café".encode()))
    assembler.put(Frame(BINARY, b"\x00\xff"))
    assert assembler.get(timeout=0) == "café"
    assert assembler.get(timeout=0) == b"\x00\xff"


def test_fragments_are_joined_in_order() -> None:
    assembler = Assembler()
    assembler.put(Frame(TEXT, b"ca", fin=False))
    assembler.put(Frame(CONT, b"f\xc3", fin=False))
    assert len(assembler) == 0
    assembler.put(Frame(CONT, b"\xa9", fin=True))
    assert assembler.get(timeout=0) == "café"


def test_decode_overrides_the_type() -> None:
    assembler = Assembler()
    assembler.put(Frame(TEXT, b"abc"))
    assembler.put(Frame(BINARY, b"xyz"))
    assert assembler.get(timeout=0, decode=False) == b"abc"
    assert assembler.get(timeout=0, decode=True) == "xyz"


def test_get_times_out_and_stays_usable() -> None:
    assembler = Assembler()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        assembler.get(timeout=unit(0.05))
    assert time.monotonic() - started >= unit(0.05) * 0.9
    assembler.put(Frame(BINARY, b"late"))
    assert assembler.get(timeout=0) == b"late"


def test_close_ends_the_stream_after_queued_messages() -> None:
    assembler = Assembler()
    assembler.put(Frame(BINARY, b"one"))
    assembler.close()
    assert assembler.get(timeout=0) == b"one"
    with pytest.raises(EOFError):
        assembler.get(timeout=0)


def test_close_wakes_a_waiting_get() -> None:
    assembler = Assembler()
    errors: list[BaseException] = []

    def getter() -> None:
        try:
            assembler.get(timeout=unit(5))
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=getter)
    thread.start()
    time.sleep(unit(0.05))
    assembler.close()
    thread.join(unit(2))
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], EOFError)


def test_second_concurrent_get_is_refused() -> None:
    assembler = Assembler()
    thread = threading.Thread(target=lambda: assembler.get(timeout=unit(5)))
    thread.start()
    time.sleep(unit(0.05))
    with pytest.raises(ConcurrencyError):
        assembler.get(timeout=0)
    assembler.put(Frame(BINARY, b"x"))
    thread.join(unit(2))
    assert not thread.is_alive()


def test_full_queue_blocks_put_until_drained_to_a_quarter() -> None:
    assembler = Assembler(max_queue=4)
    for i in range(4):
        assembler.put(Frame(BINARY, bytes([i])))
    done = threading.Event()

    def putter() -> None:
        assembler.put(Frame(BINARY, b"4"))
        done.set()

    thread = threading.Thread(target=putter)
    thread.start()
    assert not done.wait(unit(0.1))  # back pressure: the reader waits
    assert [assembler.get(timeout=0) for _ in range(2)] == [b"\x00", b"\x01"]
    assert not done.wait(unit(0.1))  # two left: more than a quarter of 4
    assert assembler.get(timeout=0) == b"\x02"
    assert done.wait(unit(2))
    assert [assembler.get(timeout=0) for _ in range(2)] == [b"\x03", b"4"]
    thread.join(unit(2))


def test_discard_releases_a_blocked_put_and_keeps_queued_messages() -> None:
    assembler = Assembler(max_queue=1)
    assembler.put(Frame(BINARY, b"kept"))
    thread = threading.Thread(target=assembler.put, args=(Frame(BINARY, b"dropped"),))
    thread.start()
    time.sleep(unit(0.05))
    assert thread.is_alive()
    assembler.discard()
    thread.join(unit(2))
    assert not thread.is_alive()
    assert assembler.get(timeout=0) == b"kept"
    with pytest.raises(TimeoutError):
        assembler.get(timeout=0)


def test_unbounded_queue() -> None:
    assembler = Assembler(max_queue=None)
    for i in range(100):
        assembler.put(Frame(BINARY, bytes([i])))
    assert len(assembler) == 100


@pytest.mark.parametrize(
    "frames",
    [
        [Frame(CONT, b"x")],
        [Frame(TEXT, b"a", fin=False), Frame(BINARY, b"b")],
        [Frame(PING, b"")],
    ],
)
def test_inconsistent_frames_are_refused(frames: list[Frame]) -> None:
    assembler = Assembler()
    with pytest.raises(ValueError):
        for frame in frames:
            assembler.put(frame)


def test_max_queue_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Assembler(max_queue=0)
