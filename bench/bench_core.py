"""The sans-I/O core against ``websockets``, in the same run: masking, parse, serialize.

Run with ``.venv/bin/python -m bench bench_core``. Every figure is a ratio
ours/theirs of operations per second: above 1 means we are faster.

* **Masking** at 1 KiB, 64 KiB, 1 MiB and 16 MiB: :func:`apply_mask` (numpy) and the
  plain-Python fallback against ``websockets.speedups.apply_mask`` (C). Goal: >= 0.3x
  from 64 KiB up.
* **Parse** of 16-byte and 1 KiB frames, masked and unmasked: our incremental
  :class:`Parser` plus :func:`check`, against ``Frame.parse`` driven the way websockets
  drives it (one ``StreamReader`` per connection, one parsing generator per frame).
* **Serialize** of the same frames: :func:`check` plus :func:`serialize` against
  ``Frame.serialize`` (which checks too). Masked frames get a fresh random key in both.
  Goal: >= 1x for these small frames.

Each measurement alternates ours and theirs, repeats, and keeps the best run of each:
the machine is shared, and the minimum is the least disturbed figure.
"""

from __future__ import annotations

import functools
import os
import time
import timeit
from collections.abc import Callable

from websockets.frames import Frame as TheirFrame
from websockets.frames import Opcode as TheirOpcode
from websockets.speedups import apply_mask as their_apply_mask
from websockets.streams import StreamReader

from wsconform.reference.protocol.frames import BINARY, Frame, Parser, check, serialize
from wsconform.reference.protocol.mask import apply_mask, apply_mask_python

__all__ = ["main"]

MASK_SIZES = (1024, 64 * 1024, 2**20, 16 * 2**20)
FRAME_SIZES = (16, 1024)
# Seconds spent per measured run; each run is repeated REPEAT times.
BUDGET = 0.1
REPEAT = 3
# Ours and theirs are measured alternately this many times.
ROUNDS = 3


def _per_call(function: Callable[[], object], budget: float = BUDGET) -> float:
    """Best time per call in seconds, over REPEAT runs of about ``budget`` seconds."""
    start = time.perf_counter()
    function()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(budget / once))
    timer = timeit.Timer(function)
    return min(timer.repeat(repeat=REPEAT, number=number)) / number


def _pair(ours: Callable[[], object], theirs: Callable[[], object]) -> tuple[float, float]:
    """Times per call of ``ours`` and ``theirs``, measured alternately."""
    best_ours, best_theirs = float("inf"), float("inf")
    for _ in range(ROUNDS):
        best_ours = min(best_ours, _per_call(ours))
        best_theirs = min(best_theirs, _per_call(theirs))
    return best_ours, best_theirs


def _size(size: int) -> str:
    if size >= 2**20:
        return f"{size // 2**20} MiB"
    if size >= 1024:
        return f"{size // 1024} KiB"
    return f"{size} B"


def bench_masking() -> None:
    print("masking: apply_mask (numpy) and the plain-Python fallback vs websockets' C")
    print(f"{'size':>8} {'theirs GB/s':>12} {'ours GB/s':>10} {'ours/theirs':>12} {'python':>8}")
    key = os.urandom(4)
    for size in MASK_SIZES:
        data = os.urandom(size)
        assert apply_mask(data, key) == their_apply_mask(data, key)
        ours, theirs = _pair(
            functools.partial(apply_mask, data, key),
            functools.partial(their_apply_mask, data, key),
        )
        # The fallback is slow; one short run is enough to place it.
        python = _per_call(functools.partial(apply_mask_python, data, key), budget=0.05)
        print(
            f"{_size(size):>8} {size / theirs / 1e9:>12.2f} {size / ours / 1e9:>10.2f}"
            f" {theirs / ours:>11.2f}x {theirs / python:>7.3f}x"
        )


def _their_parser(data: bytes, mask: bool) -> Callable[[], TheirFrame]:
    reader = StreamReader()

    def parse() -> TheirFrame:
        reader.feed_data(data)
        parser = TheirFrame.parse(reader.read_exact, mask=mask, max_size=None, extensions=None)
        try:
            next(parser)
        except StopIteration as done:
            frame: TheirFrame = done.value
            return frame
        raise AssertionError("incomplete frame")

    return parse


def _our_parser(data: bytes, mask: bool) -> Callable[[], Frame]:
    parser = Parser(mask=mask)

    def parse() -> Frame:
        parser.feed(data)
        frame = parser.next_frame(None)
        assert frame is not None
        check(frame)
        return frame

    return parse


def bench_frames() -> None:
    print("\nframes: parse and serialize rates vs websockets.frames.Frame")
    header = f"{'payload':>8} {'masked':>7} {'op':>10} {'theirs/s':>11} {'ours/s':>11}"
    print(f"{header} {'ours/theirs':>12}")
    for size in FRAME_SIZES:
        payload = os.urandom(size)
        ours_frame = Frame(BINARY, payload)
        theirs_frame = TheirFrame(TheirOpcode.BINARY, payload)
        for mask in (False, True):
            data = theirs_frame.serialize(mask=mask)
            our_parse, their_parse = _our_parser(data, mask), _their_parser(data, mask)
            assert our_parse().data == their_parse().data == payload

            def our_serialize(frame: Frame = ours_frame, mask: bool = mask) -> bytes:
                check(frame)
                return serialize(frame, mask)

            def their_serialize(frame: TheirFrame = theirs_frame, mask: bool = mask) -> bytes:
                return frame.serialize(mask=mask)

            assert _our_parser(our_serialize(), mask)().data == payload
            for name, ours, theirs in (
                ("parse", our_parse, their_parse),
                ("serialize", our_serialize, their_serialize),
            ):
                ours_time, theirs_time = _pair(ours, theirs)
                print(
                    f"{_size(size):>8} {'yes' if mask else 'no':>7} {name:>10}"
                    f" {1 / theirs_time:>11,.0f} {1 / ours_time:>11,.0f}"
                    f" {theirs_time / ours_time:>11.2f}x"
                )


def main() -> None:
    """Print both tables."""
    started = time.perf_counter()
    bench_masking()
    bench_frames()
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"\n({elapsed:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
