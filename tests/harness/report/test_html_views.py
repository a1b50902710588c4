"""The case page's close table: each "Meaning" describes the value beside it."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from wsconform.harness.report import html_views
from wsconform.harness.report.html_views import KeyValue, close_rows
from wsconform.harness.report.model import CaseResult

from .sample import BAD, GOOD, sample_report


def test_exports() -> None:
    for name in html_views.__all__:
        assert hasattr(html_views, name), name


def _result(agent: str, case_id: str) -> CaseResult:
    result = sample_report().get(agent, case_id)
    assert result is not None
    return result


def _meanings(result: CaseResult, local_reason: str | None = None) -> dict[str, KeyValue]:
    return {row.key: row for row in close_rows(result, local_reason)}


def test_no_reads_as_no() -> None:
    # GoodServer's 1.1.1: the tester (a client) closed first, cleanly, and the peer
    # dropped TCP: every flag but closedByMe and wasClean is no.
    rows = _meanings(_result(GOOD, "1.1.1"), "")
    assert rows["isServer"] == KeyValue(
        "isServer", "no", "the tester acted as the client (testing a server)"
    )
    assert rows["closedByMe"].value == "yes"
    assert rows["closedByMe"].description == "the tester sent the first close frame"
    assert rows["failedByMe"].value == "no"
    assert rows["failedByMe"].description == "the tester did not fail the connection"
    assert rows["wasOpenHandshakeTimeout"].value == "no"
    assert rows["wasOpenHandshakeTimeout"].description == "the opening handshake did not time out"
    assert rows["wasClean"].value == "yes"
    assert rows["wasNotCleanReason"].description == "nothing to explain: the close was clean"


@pytest.mark.parametrize(("agent", "case_id"), [(GOOD, "1.1.1"), (BAD, "1.1.2"), (BAD, "7.7.1")])
def test_every_flag_row_describes_its_value(agent: str, case_id: str) -> None:
    """Flip every yes/no of a real observation: the meaning must change with it, and a
    "no" must never carry the sentence that a "yes" would."""
    result = _result(agent, case_id)
    flags = {
        "isServer": "is_server",
        "closedByMe": "closed_by_me",
        "failedByMe": "failed_by_me",
        "droppedByMe": "dropped_by_me",
        "wasClean": "was_clean",
        "wasServerConnectionDropTimeout": "was_server_connection_drop_timeout",
        "wasOpenHandshakeTimeout": "was_open_handshake_timeout",
        "wasCloseHandshakeTimeout": "was_close_handshake_timeout",
    }
    for key, field in flags.items():
        said: dict[str, str] = {}
        for value in (True, False):
            observation = copy.copy(result.observation)
            setattr(observation, field, value)
            row = _meanings(dataclasses.replace(result, observation=observation))[key]
            assert row.value == ("yes" if value else "no"), key
            said[row.value] = row.description
        assert said["yes"] != said["no"], key
        assert " not " in said["no"] or "n't" in said["no"] or "client" in said["no"], key


def test_missing_values_say_so() -> None:
    result = _result(GOOD, "1.1.1")
    observation = dataclasses.replace(
        result.observation, local_close_code=None, remote_close_code=None, remote_close_reason=None
    )
    rows = _meanings(dataclasses.replace(result, observation=observation), None)
    assert rows["localCloseCode"] == KeyValue(
        "localCloseCode", "—", "the tester sent no close code"
    )
    assert rows["localCloseReason"].description == "the tester sent no close reason"
    assert rows["remoteCloseCode"].description == "the peer sent no close code"
    assert rows["remoteCloseReason"].description == "the peer sent no close reason"
    observation = dataclasses.replace(observation, remote_close_code=1002, was_clean=False)
    rows = _meanings(dataclasses.replace(result, observation=observation), None)
    assert rows["remoteCloseCode"] == KeyValue("remoteCloseCode", "1002", "code the peer sent")
    assert rows["wasNotCleanReason"].description == "not clean, and no reason was recorded"
