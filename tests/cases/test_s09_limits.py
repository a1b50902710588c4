"""Section 9 against Autobahn's case/case9_*.py and docs/autobahn.md sections 4.1 and 6.4."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases.common import TESTER_CLOSES
from wsconform.cases.model import (
    BINARY,
    TEXT,
    CloseAfter,
    EchoLoop,
    ExpectEcho,
    SendFrame,
    SendMessage,
    SetWirelog,
    fragment_payload,
)

KIB, MIB = 1024, 1024 * 1024
SIZES = [64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB]
TEXT_PATTERN = b"BAsd7&jh23"
BINARY_PATTERN = bytes.fromhex("00fe23faf0")


def _rows() -> list[tuple[str, bool, int, object, float]]:
    rows: list[tuple[str, bool, int, object, float]] = []
    send: SendFrame | SendMessage
    for n, (size, wait) in enumerate(
        zip(SIZES, [10, 10, 100, 100, 100, 100], strict=True), start=1
    ):
        rows.append(
            (f"9.1.{n}", False, size, SendFrame(TEXT, TEXT_PATTERN, repeat_length=size), wait)
        )
    for n, (size, wait) in enumerate(zip(SIZES, [10, 10, 10, 10, 100, 100], strict=True), start=1):
        send = SendFrame(BINARY, BINARY_PATTERN, repeat_length=size)
        rows.append((f"9.2.{n}", True, size, send, wait))
    fragments = [64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB]
    for n, fragment in enumerate(fragments, start=1):
        send = SendMessage(b"*", fragment_size=fragment, repeat_length=4 * MIB)
        rows.append((f"9.3.{n}", False, 4 * MIB, send, 100))
        byte = b"\xfe" if n == 1 else b"*"  # only 9.4.1 sends 0xFE (case/case9_4_1.py)
        send = SendMessage(byte, binary=True, fragment_size=fragment, repeat_length=4 * MIB)
        rows.append((f"9.4.{n}", True, 4 * MIB, send, 100))
    for n, chop in enumerate([64, 128, 256, 512, 1024, 2048], start=1):
        send = SendFrame(TEXT, TEXT_PATTERN, repeat_length=MIB, chopsize=chop)
        rows.append((f"9.5.{n}", False, MIB, send, 1000))
        send = SendFrame(BINARY, BINARY_PATTERN, repeat_length=MIB, chopsize=chop)
        rows.append((f"9.6.{n}", True, MIB, send, 1000))
    return rows


@pytest.mark.parametrize(("case_id", "binary", "size", "send", "wait"), _rows())
def test_single_message_cases(
    case_id: str, binary: bool, size: int, send: object, wait: float
) -> None:
    case = catalog.get(case_id)
    assert case.steps == (
        SetWirelog(False, marker=False),
        ExpectEcho(binary=binary, length=size, wait=wait),
        send,
        CloseAfter(wait),
    )
    assert dict(case.expected) == {}
    assert case.expected_close == TESTER_CLOSES
    assert case.report_time and not case.report_compression_ratio
    assert case.has_case_logic


def test_fragment_counts_9_3() -> None:
    # 4 MiB in fragments of 64: 65536 full frames and one empty final frame.
    for case_id, frames in (("9.3.1", 65537), ("9.3.8", 5), ("9.3.9", 1)):
        step = catalog.get(case_id).steps[2]
        assert isinstance(step, SendMessage)
        assert step.fragment_size is not None
        assert len(fragment_payload(step.data(), step.fragment_size)) == frames


@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_cases(binary: bool) -> None:
    table = [(0, 60), (16, 60), (64, 60), (256, 120), (1024, 240), (4096, 480)]
    sub = 8 if binary else 7
    for n, (size, wait) in enumerate(table, start=1):
        case = catalog.get(f"9.{sub}.{n}")
        loop = EchoLoop(
            count=1000,
            length=size,
            binary=binary,
            wait=wait,
            pattern=b"\xfe" if binary else b"*",
        )
        assert case.steps == (SetWirelog(False), CloseAfter(wait), loop)
        assert case.close_after == wait
        assert dict(case.expected) == {}
        assert case.report_time
