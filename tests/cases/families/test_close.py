"""The ``cl`` family: its tables, what each case cites, and the reference core passing
every case in memory in both roles (with and without ``--strict``)."""

from __future__ import annotations

import pytest

from tests.harness.wire.loopback import run_case
from wsconform.cases.families import close
from wsconform.cases.model import SendClose
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.wire import protocol as tester
from wsconform.reference.protocol.close import is_valid_wire_code

ROLES = [tester.CLIENT, tester.SERVER]


def test_ids_titles_and_tables() -> None:
    ids = [case.id for case in close.CASES]
    assert len(ids) == len(set(ids)) == 25
    assert {case.subsection for case in close.CASES} == set(close.SUBSECTION_TITLES)
    assert all(case.applies_to == "both" for case in close.CASES)
    # The tables agree with the IANA registry as the reference core implements it.
    assert all(is_valid_wire_code(code) for code, _reason in close.REGISTERED_CODES)
    assert not any(is_valid_wire_code(code) for code in close.INVALID_CODES)
    assert not any(is_valid_wire_code(code) for code in close.UNDEFINED_CODES)
    # None of them repeats a code Autobahn's 7.7/7.9/7.13 already send.
    autobahn = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999}
    autobahn |= {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 5000, 65535}
    sent = {code for code, _reason in close.REGISTERED_CODES} | set(close.INVALID_CODES)
    assert not sent & autobahn


def test_every_case_cites_the_rfc_or_the_registry() -> None:
    for case in close.CASES:
        assert "RFC 6455 section" in case.description or "IANA" in case.description, case.id


def test_the_code_cases_send_their_code() -> None:
    for case in close.CASES:
        if case.subsection in ("cl.1", "cl.2", "cl.3"):
            step = case.steps[0]
            assert isinstance(step, SendClose) and step.raw
            assert f"code {step.code}" in case.description, case.id


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("role", ROLES, ids=["tester-client", "tester-server"])
def test_the_reference_core_passes_every_case(role: tester.Role, strict: bool) -> None:
    verdicts = {}
    for case in close.CASES:
        result, link = run_case(case, role, options=RunOptions(strict=strict))
        assert link.lost
        verdicts[case.id] = (result.verdicts.behavior.value, result.verdicts.behavior_close.value)
    assert verdicts == dict.fromkeys(verdicts, ("OK", "OK"))
