"""Expectations shared by many sections, so each section module reads like its table."""

from __future__ import annotations

from collections.abc import Mapping

from .model import (
    NON_STRICT,
    OK,
    Alternative,
    Case,
    Event,
    ExpectedClose,
    KillAfter,
    Step,
    Verdict,
)

__all__ = [
    "PEER_FAILS_1002",
    "PEER_FAILS_1007",
    "TESTER_CLOSES",
    "closing_case",
    "ok",
    "ok_or_non_strict",
]

#: "tester closes, codes [1000], clean required".
TESTER_CLOSES = ExpectedClose(closed_by_me=True, close_codes=(1000,), require_clean=True)
#: "peer closes, [1002]", clean not required: the peer must fail the connection.
PEER_FAILS_1002 = ExpectedClose(closed_by_me=False, close_codes=(1002,), require_clean=False)
#: "peer, [1007], not clean, fatal": invalid UTF-8 must be detected by the peer.
PEER_FAILS_1007 = ExpectedClose(
    closed_by_me=False, close_codes=(1007,), require_clean=False, fatal_wrong_endpoint=True
)


def ok(*events: Event) -> Mapping[Verdict, tuple[Event, ...]]:
    """A single OK alternative."""
    return {OK: events}


def ok_or_non_strict(
    preferred: tuple[Event, ...], tolerated: tuple[Event, ...]
) -> Mapping[Verdict, tuple[Event, ...]]:
    """OK for the preferred event list, NON-STRICT for the tolerated one."""
    return {OK: preferred, NON_STRICT: tolerated}


def closing_case(
    case_id: str,
    description: str,
    expectation: str,
    steps: tuple[Step, ...],
    expected_close: ExpectedClose = TESTER_CLOSES,
    *,
    alternatives: tuple[Alternative, ...] = (),
    hex_local_close_reason: bool = False,
) -> Case:
    """A case about closing (section 7, the ``cl`` family): no events expected, no
    auto-close (the steps close, the tester kills after 1 s) and WRONG CODE fails."""
    return Case(
        id=case_id,
        description=description,
        expectation=expectation,
        steps=(*steps, KillAfter(1)),
        expected=ok(),
        expected_close=expected_close,
        suppress_auto_close=True,
        wrong_code_fails=True,
        alternatives=alternatives,
        hex_local_close_reason=hex_local_close_reason,
    )
