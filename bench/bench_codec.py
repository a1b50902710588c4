"""Deflate and inflate throughput of each raw-DEFLATE back end on the 12.x payloads.

Run with ``.venv/bin/python -m bench bench_codec``. For each of the five 12.x test data
files (docs/autobahn.md section 6.7) the messages of its 4 KiB and 128 KiB cases, as the
tester sends them (read from the file as a ring), are compressed with a 15-bit window
and context takeover at the tester's level (1) and at zlib's default (6, the
reference's), then inflated; throughput is MB of payload per CPU second, side by side for
every installed back end of reference/protocol/extensions/codec.py, with ISA-L (PyPI
``isal``) beside them for comparison only: it cannot serve an 8-bit window (see the
codec's docstring). The best of a few alternated runs of each counts.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

from wsconform.cases import catalog
from wsconform.cases.testdata import FILES
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.data import testdata_loader
from wsconform.reference.protocol.extensions import codec

from .bench_conformance import loop_messages

__all__ = ["main"]

#: 12.x.5 (4 KiB messages) and 12.x.10 (128 KiB messages) of each data file.
CASE_NUMBERS = (5, 10)
#: Messages of each case measured (a few MB each).
MESSAGES = 40
LEVELS = (1, 6)
ROUNDS = 3
SYNC_FLUSH = 2

Factory = Callable[[int], tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]]


def _codec_pair(backend: codec.Backend) -> Factory:
    def make(level: int) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
        compressor = backend.compressor(15, level=level)
        decompressor = backend.decompressor(15)

        def deflate(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(SYNC_FLUSH)

        return deflate, decompressor.decompress

    return make


def _isal_pair() -> Factory | None:
    try:
        from isal import isal_zlib
    except ImportError:
        return None

    def make(level: int) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
        # ISA-L's levels are 0-3; its 1 and 3 stand in for zlib's 1 and 6.
        compressor = isal_zlib.compressobj(1 if level == 1 else 3, zlib.DEFLATED, -15)
        decompressor = isal_zlib.decompressobj(-15)

        def deflate(data: bytes) -> bytes:
            return compressor.compress(data) + compressor.flush(isal_zlib.Z_SYNC_FLUSH)

        return deflate, decompressor.decompress

    return make


def _measure(factory: Factory, level: int, messages: list[bytes]) -> tuple[float, float]:
    """Seconds to deflate all ``messages`` in turn, and to inflate the result."""
    deflate, _ = factory(level)
    # CPU time, not wall time: the machine is shared, and CPU time is what the work costs.
    clock = time.process_time
    start = clock()
    compressed = [deflate(message) for message in messages]
    deflated = clock() - start
    _, inflate = factory(level)
    start = clock()
    for data, message in zip(compressed, messages, strict=True):
        if len(inflate(data)) != len(message):
            raise AssertionError("the inflated message has the wrong length")
    return deflated, clock() - start


def main() -> None:
    """Print MB/s of deflate and inflate per back end, data file and level."""
    options = RunOptions(testdata=testdata_loader())
    factories: dict[str, Factory] = {b.name: _codec_pair(b) for b in codec.available()}
    isal = _isal_pair()
    if isal is not None:
        factories["isal*"] = isal
    names = list(factories)
    print(
        "MB of payload per CPU second, 15-bit window, context takeover; best of "
        f"{ROUNDS}; * = not usable (no 8-bit window)"
    )
    print(f"{'data, message size, level':<34}" + "".join(f"{n:>20}" for n in names))
    print(f"{'':<34}" + "".join(f"{'deflate / inflate':>20}" for _ in names))
    totals: dict[str, list[float]] = {name: [0.0, 0.0] for name in names}
    volume = 0
    for index, data_file in enumerate(FILES, start=1):
        for number in CASE_NUMBERS:
            case = catalog.get(f"12.{index}.{number}")
            messages = list(loop_messages(case, options))[:MESSAGES]
            size = sum(len(m) for m in messages)
            for level in LEVELS:
                best = {name: [float("inf"), float("inf")] for name in names}
                for _ in range(ROUNDS):
                    for name in names:
                        deflated, inflated = _measure(factories[name], level, messages)
                        best[name][0] = min(best[name][0], deflated)
                        best[name][1] = min(best[name][1], inflated)
                label = f"{data_file.key} {len(messages[0]) // 1024} KiB L{level}"
                cells = "".join(
                    f"{size / best[n][0] / 1e6:>9.0f} / {size / best[n][1] / 1e6:<8.0f}"
                    for n in names
                )
                print(f"{label:<34}{cells}", flush=True)
                if level == 1:
                    for name in names:
                        totals[name][0] += best[name][0]
                        totals[name][1] += best[name][1]
                    volume += size
    base = totals.get("zlib")
    print(f"{'all files, level 1':<34}" + "".join(
        f"{volume / totals[n][0] / 1e6:>9.0f} / {volume / totals[n][1] / 1e6:<8.0f}" for n in names
    ))  # fmt: skip
    if base is not None:
        ratios = [(base[0] / totals[n][0], base[1] / totals[n][1]) for n in names]
        print(f"{'  x stdlib zlib':<34}" + "".join(
            f"{out:>8.2f}x / {f'{back:.2f}x':<8}" for out, back in ratios
        ))  # fmt: skip


if __name__ == "__main__":
    main()
