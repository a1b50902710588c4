"""Folding the two verdicts into one outcome, and the severity order."""

from __future__ import annotations

import pytest

from wsconform.cases.model import Verdict
from wsconform.harness.record import outcome
from wsconform.harness.record.outcome import (
    CloseVerdict,
    Outcome,
    Verdicts,
    outcome_of,
    parse_outcome,
    reason_of,
)


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


def test_close_verdict_strings() -> None:
    assert [str(v) for v in CloseVerdict] == [
        "OK",
        "FAILED",
        "UNCLEAN",
        "WRONG CODE",
        "FAILED BY CLIENT",
        "INFORMATIONAL",
    ]


@pytest.mark.parametrize(
    ("behavior", "close", "outcome"),
    [
        (Verdict.OK, CloseVerdict.OK, Outcome.OK),
        (Verdict.NON_STRICT, CloseVerdict.WRONG_CODE, Outcome.NON_STRICT),
        (Verdict.OK, CloseVerdict.FAILED_BY_CLIENT, Outcome.NON_STRICT),
        (Verdict.UNIMPLEMENTED, CloseVerdict.OK, Outcome.UNIMPLEMENTED),
        (Verdict.INFORMATIONAL, CloseVerdict.INFORMATIONAL, Outcome.INFORMATIONAL),
        (Verdict.FAILED, CloseVerdict.OK, Outcome.FAILED),
        (Verdict.OK, CloseVerdict.FAILED, Outcome.FAILED),
        (Verdict.OK, CloseVerdict.UNCLEAN, Outcome.FAILED),
    ],
)
def test_verdicts_fold_with_the_one_rule(
    behavior: Verdict, close: CloseVerdict, outcome: Outcome
) -> None:
    assert Verdicts(behavior, close, "", "").outcome is outcome


def test_the_reason_is_the_text_of_the_verdict_that_is_not_ok() -> None:
    assert Verdicts(Verdict.FAILED, CloseVerdict.OK, "why", "closed").reason == "why"
    assert Verdicts(Verdict.OK, CloseVerdict.UNCLEAN, "fine", "unclean").reason == "unclean"
    assert Verdicts(Verdict.OK, CloseVerdict.OK, "fine", "closed").reason == "fine"
    assert reason_of("OK", "WRONG CODE", "fine", None) == ""
