"""The ``fr`` family: its tables, what each case cites, and the reference core passing
every case in memory in both roles (with and without ``--strict``).

The real runs (sockets, the reference server and client, broken variants, third-party
servers) are in tests/integration/harness/test_families_against_peers.py and
test_third_party_families.py.
"""

from __future__ import annotations

import pytest

from tests.harness.wire.loopback import run_case
from wsconform.cases.families import framing
from wsconform.cases.model import SendWireFrame
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.wire import protocol as tester

ROLES = [tester.CLIENT, tester.SERVER]


def test_ids_titles_and_roles() -> None:
    ids = [case.id for case in framing.CASES]
    assert len(ids) == len(set(ids)) == 38
    assert {case.subsection for case in framing.CASES} == set(framing.SUBSECTION_TITLES)
    roles = {
        case.subsection: {c.applies_to for c in framing.CASES if c.subsection == case.subsection}
        for case in framing.CASES
    }
    assert roles["fr.3"] == {"server"} and roles["fr.4"] == {"client"}
    assert all(roles[s] == {"both"} for s in ("fr.1", "fr.2", "fr.5", "fr.6"))


def test_every_case_cites_the_rfc_sentence_it_checks() -> None:
    for case in framing.CASES:
        assert "RFC 6455 section 5." in case.description, case.id
        assert '"' in case.description, case.id


def test_the_frames_are_what_the_tables_say() -> None:
    def wire(case_id: str) -> SendWireFrame:
        case = next(c for c in framing.CASES if c.id == case_id)
        return next(s for s in case.steps if isinstance(s, SendWireFrame))

    assert (wire("fr.1.2").length_bits, len(wire("fr.1.2").payload)) == (16, 13)
    assert (wire("fr.1.6").length_bits, len(wire("fr.1.6").payload)) == (64, 65535)
    assert wire("fr.2.1").length == 2**63 and wire("fr.2.3").length == 2**64 - 1
    assert wire("fr.3.1").masked is False and wire("fr.4.1").masked is True
    assert wire("fr.3.8").mask_key == wire("fr.4.8").mask_key == b"\x00" * 4
    assert wire("fr.6.1").chop_header and wire("fr.6.1").chopsize == 1


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("role", ROLES, ids=["tester-client", "tester-server"])
def test_the_reference_core_passes_every_case(role: tester.Role, strict: bool) -> None:
    target = "server" if role is tester.CLIENT else "client"
    options = RunOptions(strict=strict)
    verdicts = {}
    for case in framing.CASES:
        if case.applies_to_role(target):
            result, link = run_case(case, role, options=options)
            assert link.lost
            verdicts[case.id] = (
                result.verdicts.behavior.value,
                result.verdicts.behavior_close.value,
            )
    assert len(verdicts) == 30
    assert verdicts == dict.fromkeys(verdicts, ("OK", "OK"))


@pytest.mark.parametrize("role", ROLES, ids=["tester-client", "tester-server"])
def test_a_peer_that_never_answers_fails_the_echo_cases(role: tester.Role) -> None:
    # fr.5/fr.6 expect echoes: a peer that echoes nothing fails them (killAfter, 1001).
    for case in framing.CASES:
        if case.subsection in ("fr.5", "fr.6") and case.id != "fr.5.7":
            result, _link = run_case(case, role, echo=False)
            assert result.verdicts.behavior.value == "FAILED", case.id
