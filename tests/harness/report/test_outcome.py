"""Folding the two verdicts into one outcome, and the severity order."""

from __future__ import annotations

import pytest

from wsconform.harness.report import outcome
from wsconform.harness.report.outcome import Outcome, outcome_of, parse_outcome


def test_exports() -> None:
    for name in outcome.__all__:
        assert hasattr(outcome, name), name


def test_severity_order() -> None:
    assert (
        Outcome.OK
        < Outcome.INFORMATIONAL
        < Outcome.UNIMPLEMENTED
        < Outcome.NON_STRICT
        < Outcome.FAILED
    )
    assert outcome.FAILED is Outcome.FAILED


@pytest.mark.parametrize(
    ("behavior", "close", "expected"),
    [
        ("OK", "OK", Outcome.OK),
        ("NON-STRICT", "OK", Outcome.NON_STRICT),
        ("OK", "WRONG CODE", Outcome.NON_STRICT),
        ("OK", "FAILED BY CLIENT", Outcome.NON_STRICT),
        ("NO_CLOSE", "OK", Outcome.NON_STRICT),
        ("INFORMATIONAL", "INFORMATIONAL", Outcome.INFORMATIONAL),
        ("UNIMPLEMENTED", "OK", Outcome.UNIMPLEMENTED),
        ("FAILED", "OK", Outcome.FAILED),
        ("OK", "FAILED", Outcome.FAILED),
        ("OK", "UNCLEAN", Outcome.FAILED),
        ("NON-STRICT", "UNCLEAN", Outcome.FAILED),
        ("UNIMPLEMENTED", "FAILED", Outcome.FAILED),
        ("SOMETHING", "OK", Outcome.FAILED),
        ("OK", "SOMETHING", Outcome.FAILED),
    ],
)
def test_outcome_of(behavior: str, close: str, expected: Outcome) -> None:
    assert outcome_of(behavior, close) is expected


def test_labels_and_parsing() -> None:
    assert [o.label for o in Outcome] == [
        "OK",
        "INFORMATIONAL",
        "UNIMPLEMENTED",
        "NON-STRICT",
        "FAILED",
    ]
    assert str(Outcome.NON_STRICT) == "NON-STRICT"
    for o in Outcome:
        assert parse_outcome(o.label) is o
    assert parse_outcome(" non_strict ") is Outcome.NON_STRICT
    with pytest.raises(ValueError, match="unknown verdict 'PASS'"):
        parse_outcome("PASS")
