"""The case executor on the sans-I/O tester, against the reference's sans-I/O core.

No socket and no event loop: :mod:`tests.harness.wire.loopback` joins the tester and the
reference core in memory and moves a fake clock to each deadline, so a case with a
one-second timer ends in microseconds and always the same way. The verdicts are those
the real runs give against ``wsconform reference-server`` (tester as client) and that
the reference client must get (tester as server): OK, or INFORMATIONAL where the case
is informational.
"""

from __future__ import annotations

import pytest

from tests.harness.wire.loopback import run_case
from wsconform.cases import catalog
from wsconform.harness.wire import protocol as tester

#: A spread over sections 1-7, 9.1 (small), 10 and 12.1.1: whole subsections where
#: they are cheap.
CASES = [
    case.id
    for case in catalog.select(
        ["1.*", "2.*", "3.*", "4.*", "5.*", "6.*", "7.*", "9.1.1", "9.1.2", "10.*", "12.1.1"]
    )
]

#: The cases whose verdicts are INFORMATIONAL in the real runs (close codes and
#: reasons a peer may choose: Autobahn's 7.1.6 and 7.13.x).
INFORMATIONAL = {"7.1.6", "7.13.1", "7.13.2"}

ROLES = [tester.CLIENT, tester.SERVER]


@pytest.mark.parametrize("role", ROLES, ids=["client", "server"])
def test_catalog_spread_gets_the_verdicts_of_the_real_runs(role: tester.Role) -> None:
    assert len(CASES) > 200
    verdicts = {}
    for case_id in CASES:
        result, link = run_case(catalog.get(case_id), role)
        assert link.lost
        verdicts[case_id] = (result.verdicts.behavior.value, result.verdicts.behavior_close.value)
    expected = {
        case_id: ("INFORMATIONAL", "INFORMATIONAL") if case_id in INFORMATIONAL else ("OK", "OK")
        for case_id in CASES
    }
    assert verdicts == expected


@pytest.mark.parametrize("role", ROLES, ids=["client", "server"])
def test_a_case_runs_the_same_way_every_time(role: tester.Role) -> None:
    # The fake clock makes the whole record deterministic (masks and keys aside).
    runs = [run_case(catalog.get("5.20"), role) for _ in range(2)]
    (first, link1), (second, link2) = runs
    assert link1.trace == link2.trace
    assert first.duration_ms == second.duration_ms > 0
    assert first.observation.tx_octet_stats == second.observation.tx_octet_stats
    kinds = [type(entry).__name__ for entry in first.observation.wirelog]
    assert kinds == [type(entry).__name__ for entry in second.observation.wirelog]
    assert "ContinueLaterFired" in kinds


@pytest.mark.parametrize("role", ROLES, ids=["client", "server"])
def test_a_peer_that_never_echoes_fails_on_the_kill_timer(role: tester.Role) -> None:
    # 1.1.2: a 125-byte text message, killAfter(1). No echo: at 1 s on the fake clock the
    # tester fails the connection with 1001, the peer answers the close.
    result, _link = run_case(catalog.get("1.1.2"), role, echo=False)
    assert result.verdicts.behavior.value == "FAILED"
    obs = result.observation
    assert obs.failed_by_me and obs.local_close_code == 1001
    assert result.duration_ms == 1000
    assert "KillAfterFired" in [type(entry).__name__ for entry in obs.wirelog]
