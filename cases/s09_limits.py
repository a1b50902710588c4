"""Section 9, Limits/Performance: big messages, many fragments, small writes, round trips.

These cases judge by case logic, not by event lists (``expected`` is empty). 9.1-9.6 send
one big message and check the echo's type and length only (:class:`ExpectEcho`); 9.7 and
9.8 send 1000 messages one at a time and check each echo's type and length
(:class:`EchoLoop`). The wire log is off while the traffic flows. Durations are reported
(``report_time``). Sizes, patterns and WAITSECS are Autobahn's, quirks included (9.2.3
and 9.2.4 wait 10 s, 9.4.2-9.4.9 send ``*`` as their binary payload).
"""

from __future__ import annotations

from .common import TESTER_CLOSES
from .model import (
    BINARY,
    TEXT,
    Case,
    CloseAfter,
    EchoLoop,
    ExpectEcho,
    SendFrame,
    SendMessage,
    SetWirelog,
    Step,
)

__all__ = ["CASES"]

KIB, MIB = 2**10, 2**20

_TEXT_PATTERN = b"BAsd7&jh23"
_BINARY_PATTERN = b"\x00\xfe\x23\xfa\xf0"
_SIZES = (64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB, 8 * MIB, 16 * MIB)
_FRAGMENTS = (64, 256, 1 * KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, 1 * MIB, 4 * MIB)
_CHOPS = (64, 128, 256, 512, 1024, 2048)
#: 9.7.n / 9.8.n: message size, number of messages, WAITSECS.
_ROUND_TRIPS: tuple[tuple[int, int, float], ...] = (
    (0, 1000, 60),
    (16, 1000, 60),
    (64, 1000, 60),
    (256, 1000, 120),
    (1024, 1000, 240),
    (4096, 1000, 480),
)


def _size(n: int) -> str:
    if n >= MIB:
        return f"{n // MIB} MiB"
    return f"{n // KIB} KiB" if n >= KIB else f"{n} bytes"


def _kind(binary: bool) -> str:
    return "binary" if binary else "text"


def _echo_case(
    case_id: str, binary: bool, length: int, send: Step, *, wait: float, how: str
) -> Case:
    kind = _kind(binary)
    return Case(
        id=case_id,
        description=f"Send a {kind} message of {_size(length)} ({length} bytes){how}.",
        expectation=(
            f"The {kind} message is echoed within {wait:g} s. Only its type and length are checked."
        ),
        steps=(
            # Autobahn turns the log off without a WLM marker in 9.1-9.6.
            SetWirelog(False, marker=False),
            ExpectEcho(binary=binary, length=length, wait=wait),
            send,
            CloseAfter(wait),
        ),
        expected={},
        expected_close=TESTER_CLOSES,
        report_time=True,
    )


def _whole(sub: int, binary: bool, waits: tuple[float, ...]) -> tuple[Case, ...]:
    pattern = _BINARY_PATTERN if binary else _TEXT_PATTERN
    opcode = BINARY if binary else TEXT
    return tuple(
        _echo_case(
            f"9.{sub}.{n}",
            binary,
            size,
            SendFrame(opcode, pattern, repeat_length=size),
            wait=wait,
            how=" in one frame",
        )
        for n, (size, wait) in enumerate(zip(_SIZES, waits, strict=True), start=1)
    )


def _fragmented(sub: int, binary: bool) -> tuple[Case, ...]:
    cases = []
    for n, fragment in enumerate(_FRAGMENTS, start=1):
        # 9.4.1 sends 0xFE; every other case of 9.3 and 9.4 sends "*".
        byte = b"\xfe" if binary and n == 1 else b"*"
        send = SendMessage(byte, binary=binary, fragment_size=fragment, repeat_length=4 * MIB)
        how = f" in fragments of {_size(fragment)}"
        if fragment == 4 * MIB:
            how = ", with a fragment size equal to its size (so in one frame)"
        cases.append(_echo_case(f"9.{sub}.{n}", binary, 4 * MIB, send, wait=100, how=how))
    return tuple(cases)


def _chopped(sub: int, binary: bool) -> tuple[Case, ...]:
    pattern = _BINARY_PATTERN if binary else _TEXT_PATTERN
    opcode = BINARY if binary else TEXT
    return tuple(
        _echo_case(
            f"9.{sub}.{n}",
            binary,
            MIB,
            SendFrame(opcode, pattern, repeat_length=MIB, chopsize=chop),
            wait=1000,
            how=f" in one frame, its bytes written in chops of {chop} octets",
        )
        for n, chop in enumerate(_CHOPS, start=1)
    )


def _round_trips(sub: int, binary: bool) -> tuple[Case, ...]:
    kind = _kind(binary)
    pattern = b"\xfe" if binary else b"*"
    cases = []
    for n, (size, count, wait) in enumerate(_ROUND_TRIPS, start=1):
        loop = EchoLoop(count=count, length=size, binary=binary, wait=wait, pattern=pattern)
        cases.append(
            Case(
                id=f"9.{sub}.{n}",
                description=(
                    f"Send {count} {kind} messages of {size} bytes, one at a time, each "
                    "after the echo of the previous one, to measure the round-trip time."
                ),
                expectation=(
                    f"Every {kind} message is echoed with its length. The case times out "
                    f"after {wait} s."
                ),
                steps=(SetWirelog(False), CloseAfter(wait), loop),
                expected={},
                expected_close=TESTER_CLOSES,
                report_time=True,
            )
        )
    return tuple(cases)


CASES: tuple[Case, ...] = (
    _whole(1, False, (10, 10, 100, 100, 100, 100))
    + _whole(2, True, (10, 10, 10, 10, 100, 100))
    + _fragmented(3, False)
    + _fragmented(4, True)
    + _chopped(5, False)
    + _chopped(6, True)
    + _round_trips(7, False)
    + _round_trips(8, True)
)
