"""The strict profile's rules (``--strict``) on hand-built observation records.

Each rule is shown firing on the record of a peer that misses it and staying quiet on
the record of the reference's behaviour; :func:`apply_strict` only ever turns an OK case
into NON-STRICT. The real runs are in tests/integration/harness/test_families_against_peers.py.
"""

from __future__ import annotations

import dataclasses
import pathlib

import pytest

from wsconform.cases import catalog
from wsconform.cases.model import CLOSE, Case, Verdict
from wsconform.harness import strict
from wsconform.harness.record.observation import Observation
from wsconform.harness.record.outcome import CloseVerdict, Outcome, Verdicts
from wsconform.harness.strict import (
    FAIL_FAST_DELAY,
    PROMPT_CLOSE_DELAY,
    RULES,
    apply_strict,
    strict_findings,
)
from wsconform.harness.verdicts import judge

T0 = 1000.0


def server_answered(*, after: float = 0.001, code: int | None = 1000) -> Observation:
    """The tester closed with 1000 at t0, the server answered and closed TCP ``after``."""
    obs = Observation(opened=True, closed_by_me=True, was_clean=True, remote_close_code=code)
    obs.local_close_code = 1000
    obs.opened_at, obs.close_done_at, obs.lost_at = T0, T0 + 0.01, T0 + 0.01 + after
    obs.eof_received = True
    obs.rx_frame_stats[CLOSE] = 1
    return obs


def peer_failed(
    *, code: int | None = 1007, at: float = 0.01, frame: bool = True, eof: bool = True
) -> Observation:
    """The peer failed the connection ``at`` seconds after the case started."""
    obs = Observation(opened=True, closed_by_me=False, was_clean=frame, remote_close_code=code)
    obs.opened_at = T0
    obs.close_done_at = T0 + at if frame else None
    obs.lost_at = T0 + at + 0.001
    obs.eof_received = eof
    if frame:
        obs.rx_frame_stats[CLOSE] = 1
    return obs


def names(case: Case, obs: Observation) -> list[str]:
    return [rule.name for rule, _text in strict_findings(case, obs)]


def test_exports_and_every_rule_quotes_the_rfc() -> None:
    for name in strict.__all__:
        assert hasattr(strict, name), name
    assert len({rule.name for rule in RULES}) == len(RULES) == 5
    for rule in RULES:
        assert rule.rfc.startswith("RFC 6455 section "), rule.name
        assert '"' in rule.rfc, rule.name


def test_prompt_tcp_close_applies_to_servers_only() -> None:
    case = catalog.get("1.1.1")
    assert names(case, server_answered()) == []
    late = server_answered(after=PROMPT_CLOSE_DELAY + 0.1)
    assert names(case, late) == ["prompt-tcp-close"]
    ((_rule, text),) = strict_findings(case, late)
    assert text == (
        "the server closed the TCP connection 350 ms after the closing handshake, not within 250 ms"
    )
    # Testing a client, the tester closes TCP itself; a server the tester had to drop
    # already has FAILED BY CLIENT.
    assert names(case, dataclasses.replace(late, is_server=True)) == []
    assert names(case, dataclasses.replace(late, dropped_by_me=True)) == []


def test_fail_fast_utf8_times_the_peers_failure() -> None:
    case = catalog.get("6.3.1")
    assert names(case, peer_failed()) == []
    assert names(case, peer_failed(at=FAIL_FAST_DELAY + 0.2)) == ["fail-fast-utf8"]
    # 6.4.x pace their parts with pauses and grade failing fast themselves.
    assert names(catalog.get("6.4.1"), peer_failed(at=2.0)) == []
    # Not about invalid UTF-8.
    assert names(catalog.get("3.1"), peer_failed(code=1002, at=2.0)) == []


def test_empty_close_answer() -> None:
    case = catalog.get("7.3.1")
    empty = server_answered()
    empty.local_close_code = None
    assert names(case, empty) == []
    assert names(case, dataclasses.replace(empty, remote_close_code=None)) == []
    assert names(case, dataclasses.replace(empty, remote_close_code=1001)) == ["empty-close-answer"]
    # A 1-byte body is not an empty close (7.3.2): 1002 is its answer.
    one_byte = dataclasses.replace(empty, remote_close_code=1002, local_close_reason=b"a")
    assert names(catalog.get("7.3.2"), one_byte) == []


def test_utf8_close_code_prefers_1007() -> None:
    # 7.5.1 accepts 1002 or 1007 for a reason that is not UTF-8.
    case = catalog.get("7.5.1")
    obs = server_answered(code=1007)
    assert names(case, obs) == []
    assert names(case, dataclasses.replace(obs, remote_close_code=1002)) == ["utf8-close-code"]
    assert names(case, dataclasses.replace(obs, remote_close_code=None)) == ["utf8-close-code"]
    # 7.7.5 sends the code 1007 itself: an answer with 1000 is what it asks for.
    assert names(catalog.get("7.7.5"), server_answered(code=1000)) == []


def test_close_frame_before_drop_needs_an_orderly_end() -> None:
    case = catalog.get("3.1")
    assert names(case, peer_failed(code=1002)) == []
    dropped = peer_failed(code=None, frame=False)
    assert names(case, dropped) == ["close-frame-before-drop"]
    # A reset may have destroyed a close frame that was sent: not judged.
    assert names(case, peer_failed(code=None, frame=False, eof=False)) == []


def test_apply_strict_turns_only_ok_into_non_strict() -> None:
    case = catalog.get("1.1.1")
    late = server_answered(after=1.0)
    ok = Verdicts(Verdict.OK, CloseVerdict.OK, "fine", "fine")
    changed = apply_strict(case, late, ok)
    assert (changed.behavior, changed.behavior_close) == (Verdict.NON_STRICT, CloseVerdict.OK)
    assert changed.outcome is Outcome.NON_STRICT
    assert changed.result.startswith("Strict profile (prompt-tcp-close): The server closed")
    assert changed.result.endswith(
        '"The server MUST close the underlying TCP connection immediately" after the '
        "closing handshake."
    )
    for kept in (
        Verdicts(Verdict.FAILED, CloseVerdict.OK, "bad", "fine"),
        Verdicts(Verdict.INFORMATIONAL, CloseVerdict.INFORMATIONAL, "info", "info"),
        Verdicts(Verdict.OK, CloseVerdict.WRONG_CODE, "fine", "code"),
    ):
        assert apply_strict(case, late, kept) is kept
    assert apply_strict(case, server_answered(), ok) is ok


@pytest.mark.parametrize("case_id", ["1.1.1", "6.3.1", "7.3.1", "7.5.1", "cl.1.1"])
def test_the_references_behaviour_passes_every_rule(case_id: str) -> None:
    case = catalog.get(case_id)
    if case.expected_close.closed_by_me:
        obs = server_answered(code=case.expected_close.close_codes[-1])
    else:
        obs = peer_failed(code=case.expected_close.close_codes[0])
    assert strict_findings(case, obs) == []
    assert apply_strict(case, obs, judge(case, obs)) == judge(case, obs)


def test_docs_list_every_rule() -> None:
    docs = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "strict.md").read_text()
    for rule in RULES:
        assert f"| `{rule.name}` |" in docs, rule.name
