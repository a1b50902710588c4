"""The conformance job's exemptions are accepted outcomes for the one gate."""

from __future__ import annotations

from wsconform.harness.record.outcome import Outcome
from wsconform.harness.runner import exemptions
from wsconform.harness.runner.exemptions import EXEMPTIONS, Exemption, accepted


def test_exports() -> None:
    for name in exemptions.__all__:
        assert hasattr(exemptions, name), name


def test_the_list_is_empty_and_becomes_a_baseline_of_the_agent() -> None:
    assert EXEMPTIONS == {}  # an entry is a debt: the reference passes every case
    assert accepted("ref").outcomes == {"ref": {}}


def test_an_exemption_is_the_outcome_the_gate_accepts() -> None:
    entry = Exemption("6.4.1", Outcome.NON_STRICT, "RFC 6455 section 8.1", "fails late")
    EXEMPTIONS["6.4.1"] = entry
    try:
        assert accepted("ref").lookup("ref", "6.4.1") is Outcome.NON_STRICT
    finally:
        del EXEMPTIONS["6.4.1"]
