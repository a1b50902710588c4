"""In-process fuzzing of the reference core against Hypothesis' own generation rate.

Run with ``.venv/bin/python -m bench bench_fuzz_core``. For each strategy of the
in-process fuzz tests (``tests/reference/protocol/test_*_fuzz.py``), the same
``@given`` test runs twice in the same process, alternately: once with an empty body
(Hypothesis drawing examples and nothing else: the ceiling), once with the fuzz body
(the examples fed to the reference core, its output parsed back). The figure is
fuzzing examples per second and its ratio to the ceiling. Goal: >= 0.5x.

* **connection**: a whole generated conversation (``conversations`` with every
  mutation on) into an OPEN server connection, cut as its write patterns say; events
  and writes collected, the writes parsed.
* **parser**: one mutated wire frame into the strict :class:`Parser`.
* **utf8**: a near-valid UTF-8 stream, split anywhere, into :class:`Utf8Validator`.

Only the generate phase runs (no shrinking, no example database), with random seeds;
each measurement keeps the best of its rounds, as the machine is shared.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from wsconform.harness.fuzz.conversation import Conversation
from wsconform.harness.fuzz.strategies import (
    conversations,
    frames,
    mutated_frames,
    utf8_fragments,
)
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.connection import OPEN, SERVER, Protocol
from wsconform.reference.protocol.exceptions import PayloadTooBig, ProtocolError
from wsconform.reference.protocol.frames import Parser
from wsconform.reference.protocol.utf8 import Utf8Validator

__all__ = ["main"]

#: Examples per measured run, and alternating rounds of ceiling and fuzzing.
EXAMPLES = 300
ROUNDS = 3
#: The goal: fuzzing at least this fraction of Hypothesis' generation rate.
GOAL = 0.5


def _writes(conversation: Conversation) -> list[bytes]:
    writes: list[bytes] = []
    burst = b""
    for send in conversation.sends:
        data = send.frame.encode()
        size = send.pattern.chopsize
        if size is None and not send.pattern.sync:
            burst += data
            continue
        if burst:
            writes.append(burst)
            burst = b""
        step = size or max(len(data), 1)
        writes += [data[i : i + step] for i in range(0, len(data), step)]
    if burst:
        writes.append(burst)
    return writes


def fuzz_connection(conversation: Conversation) -> None:
    """Feed a conversation to an OPEN server connection; parse what it sends back."""
    protocol = Protocol(SERVER, state=OPEN)
    for data in _writes(conversation):
        protocol.receive_data(data)
    protocol.events_received()
    out = Parser(mask=False)
    out.feed(b"".join(protocol.data_to_send()))
    out.frames()


def fuzz_parser(wire: WireFrame) -> None:
    """Parse one wire frame with the strict parser (as a server reads it)."""
    parser = Parser(mask=True)
    parser.feed(wire.encode())
    with contextlib.suppress(ProtocolError, PayloadTooBig):
        parser.frames(max_size=2**20)


def fuzz_utf8(pieces: list[bytes]) -> None:
    """Validate a stream fed in pieces."""
    validator = Utf8Validator()
    for piece in pieces:
        validator.feed(piece)


@st.composite
def _wire_frames(draw: st.DrawFn) -> WireFrame:
    return draw(mutated_frames(draw(frames(max_size=2000)), masked=True, text=True))


CASES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], None]]] = {
    "connection": (conversations(masked=True, wire_mutations=True), fuzz_connection),
    "parser": (_wire_frames(), fuzz_parser),
    "utf8": (utf8_fragments(), fuzz_utf8),
}


def _rate(strategy: st.SearchStrategy[Any], body: Callable[[Any], None]) -> float:
    """Examples per second of one generate-only ``@given`` run of ``body``."""

    @settings(
        max_examples=EXAMPLES,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def run(example: Any) -> None:
        body(example)

    started = time.perf_counter()
    run()
    return EXAMPLES / (time.perf_counter() - started)


def _nothing(_example: Any) -> None:
    return None


def bench_fuzzing() -> list[float]:
    """Print one line per strategy; return the ratios."""
    print(f"{'strategy':<12} {'generate/s':>11} {'fuzz/s':>9} {'ratio':>7}  goal >= {GOAL}x")
    ratios = []
    for name, (strategy, body) in CASES.items():
        ceiling = fuzzing = 0.0
        for _ in range(ROUNDS):
            ceiling = max(ceiling, _rate(strategy, _nothing))
            fuzzing = max(fuzzing, _rate(strategy, body))
        ratio = fuzzing / ceiling
        ratios.append(ratio)
        mark = "" if ratio >= GOAL else "  (below goal)"
        print(f"{name:<12} {ceiling:>11.0f} {fuzzing:>9.0f} {ratio:>6.2f}x{mark}")
    return ratios


def main() -> None:
    """Print the table."""
    started = time.perf_counter()
    bench_fuzzing()
    elapsed = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"\n({elapsed:.0f} s; load average {load:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
