"""The pytest plugin's parts that need no target: results in transit, failure texts.

The plugin running against real servers, with and without xdist, is tested in
``tests/integration/harness/test_pytest_plugin.py``.
"""

from __future__ import annotations

import pickle

import pytest

from tests.harness.report.sample import BAD, sample_report
from wsconform.harness.pytest_plugin import decode_result, encode_result, failure_text
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.json_report import case_json
from wsconform.harness.report.model import HarnessError


def test_results_survive_the_trip_from_a_worker() -> None:
    results = sample_report().results()
    back = decode_result(encode_result(list(results)))
    assert len(back) == len(results)
    for got, result in zip(back, results, strict=True):
        assert not isinstance(got, HarnessError)
        assert case_json(got) == case_json(result)
        assert got.case.expected == result.case.expected


def test_harness_errors_survive_the_trip() -> None:
    error = HarnessError("agent", "1.1.1", "ConnectError: refused")
    assert decode_result(encode_result([error])) == [error]


def test_anything_else_is_refused() -> None:
    import base64

    text = base64.b64encode(pickle.dumps(["not", "a", "result"])).decode()
    with pytest.raises(ValueError, match="not a wsconform result: str"):
        decode_result(text)
    text = base64.b64encode(pickle.dumps({"a": 1})).decode()
    with pytest.raises(ValueError, match="not wsconform results: dict"):
        decode_result(text)


def test_a_failure_says_why_what_was_expected_and_how_to_replay() -> None:
    failed = [r for r in sample_report().results(BAD) if r.outcome is Outcome.FAILED]
    assert failed
    for result in failed:
        text = failure_text(result)
        first, *rest = text.splitlines()
        assert first.startswith(f"wsconform case {result.case_id} FAILED (behavior ")
        assert f"  why:      {result.verdicts.reason}" in rest
        assert any(line.startswith("  expected: ") for line in rest)
        assert "  wire log:" in rest or any(line.startswith("  wire log (last") for line in rest)
        assert any("TX FRAME" in line for line in rest)
        assert rest[-1] == f"  again:    {result.reproduce}"
