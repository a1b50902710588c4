"""The search on the sans-I/O tester and the reference core in memory (no socket).

:func:`~wsconform.harness.fuzz.runner.fuzz` takes any executor; here each example runs
through :func:`tests.harness.wire.loopback.run_case` on a fake clock, so a search of
hundreds of conversations takes seconds and always goes the same way for a seed.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis.database import InMemoryExampleDatabase

from tests.harness.wire.loopback import run_case
from wsconform.cases.model import PING, Case, Message, SendFrame
from wsconform.harness.fuzz import runner
from wsconform.harness.fuzz.conversation import BURST, SYNC, Conversation, Send, WritePattern
from wsconform.harness.fuzz.runner import (
    FuzzSettings,
    LoopThread,
    _Search,
    _simpler,
    case_of,
    corpus_id,
    fuzz,
    is_mismatch,
)
from wsconform.harness.report.model import CaseResult
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.exceptions import ConnectError
from wsconform.harness.wire.frame import WireFrame


def _reference(case: Case) -> CaseResult:
    return run_case(case, tester.CLIENT)[0]


def _deaf(case: Case) -> CaseResult:
    # The reference core that never echoes a message (pings are still answered).
    return run_case(case, tester.CLIENT, echo=False)[0]


def test_the_exports_exist() -> None:
    for name in runner.__all__:
        assert hasattr(runner, name), name


def test_the_reference_core_gives_no_mismatch() -> None:
    result = fuzz(_reference, FuzzSettings(seed=1, max_examples=150))
    assert result.finding is None and result.error is None
    assert result.examples == 150 and result.seed == 1
    assert result.rate > 0


def test_a_peer_that_never_echoes_shrinks_to_one_empty_frame() -> None:
    result = fuzz(_deaf, FuzzSettings(seed=2, max_examples=100))
    finding = result.finding
    assert finding is not None and result.error is None
    assert finding.conversation == Conversation((Send(WireFrame(2, masked=True)),))
    assert finding.case_id == corpus_id(finding.conversation)
    assert finding.prediction.events == (Message(b"", True),)
    assert is_mismatch(finding.result) and result.results == [finding.result]
    assert finding.seed == 2


def test_the_same_seed_gives_the_same_search() -> None:
    first = fuzz(_reference, FuzzSettings(seed=7, max_examples=40))
    second = fuzz(_reference, FuzzSettings(seed=7, max_examples=40))
    assert first.examples == second.examples == 40


def _deaf_after_two_frames(case: Case) -> CaseResult:
    # A defect that needs two frames: the search has to look for it.
    frames = len(case.steps) - 1
    return _deaf(case) if frames >= 2 else _reference(case)


def test_the_database_replays_a_finding_first() -> None:
    database = InMemoryExampleDatabase()
    found = fuzz(_deaf_after_two_frames, FuzzSettings(seed=3, max_examples=200, database=database))
    assert found.finding is not None
    assert len(found.finding.conversation.sends) == 2
    calls: list[str] = []

    def recorded(case: Case) -> CaseResult:
        calls.append(case.id)
        return _deaf_after_two_frames(case)

    again = fuzz(recorded, FuzzSettings(seed=99, max_examples=200, database=database))
    assert again.finding is not None
    assert found.finding.case_id == again.finding.case_id
    assert calls[0] == found.finding.case_id
    assert again.examples < found.examples


def test_an_unreachable_target_is_a_harness_error_not_a_finding() -> None:
    calls = []

    def refused(case: Case) -> CaseResult:
        calls.append(case.id)
        raise ConnectError("ws://127.0.0.1:9/", "connection refused")

    result = fuzz(refused, FuzzSettings(seed=1, max_examples=50))
    assert result.finding is None and result.error is not None
    assert "connection refused" in result.error.message
    assert len(calls) == 1  # the search stops at once: nothing is shrunk


def test_our_own_failure_is_a_harness_error_too() -> None:
    def broken(case: Case) -> CaseResult:
        raise KeyError("a bug of ours")

    result = fuzz(broken, FuzzSettings(seed=1, max_examples=5))
    assert result.error is not None and "internal: KeyError" in result.error.message


def test_jobs_run_searches_with_their_own_seeds() -> None:
    result = fuzz(_reference, FuzzSettings(seed=5, max_examples=60, jobs=3))
    assert result.finding is None and result.examples == 60
    deaf = fuzz(_deaf, FuzzSettings(seed=5, max_examples=60, jobs=3))
    assert deaf.finding is not None and len(deaf.finding.conversation.sends) == 1
    assert deaf.finding.seed in {5, 6, 7}


def test_the_time_budget_ends_the_generation() -> None:
    result = fuzz(_reference, FuzzSettings(seed=1, max_examples=10_000, time_budget=0.5))
    assert result.finding is None and 0 < result.examples < 10_000


def test_a_tolerated_deviation_is_counted_not_found() -> None:
    # The reference core without the UTF-8 check of unfinished text messages is what
    # the deviation names; here a peer that never echoes is not of it and is found.
    result = fuzz(_deaf, FuzzSettings(seed=2, max_examples=50, tolerate=frozenset({"utf8-at-end"})))
    assert result.finding is not None


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_examples"):
        FuzzSettings(max_examples=0)
    with pytest.raises(ValueError, match="jobs"):
        FuzzSettings(jobs=0)
    with pytest.raises(ValueError, match="kill_after"):
        FuzzSettings(kill_after=0)
    with pytest.raises(ValueError, match="unknown deviation"):
        FuzzSettings(tolerate=frozenset({"nope"}))


def test_case_of_names_the_case_by_digest() -> None:
    conversation = Conversation((Send(WireFrame(1, b"hi", masked=True)),))
    case, prediction = case_of(conversation, kill_after=0.5)
    assert case.id == f"corpus.{conversation.digest()}"
    assert prediction.events == (Message(b"hi", False),)


def test_the_loop_thread_runs_coroutines_under_a_timeout() -> None:
    import asyncio

    async def answer() -> int:
        return 42

    async def forever() -> None:
        await asyncio.sleep(60)

    with LoopThread() as loop:
        assert loop.run(answer(), 5) == 42
        with pytest.raises(TimeoutError):
            loop.run(forever(), 0.05)


def _deaf_if_ping(case: Case) -> CaseResult:
    pinged = any(isinstance(step, SendFrame) and step.opcode == PING for step in case.steps)
    return _deaf(case) if pinged else _reference(case)


def test_the_frame_level_pass_drops_frames_and_simplifies_the_rest() -> None:
    start = Conversation(
        (
            Send(WireFrame(2, b"ab", fin=False, masked=True), SYNC),
            Send(WireFrame(9, b"x", masked=True)),
            Send(WireFrame(0, b"c", fin=False, masked=True), WritePattern(chopsize=2)),
            Send(WireFrame(0, b"d", masked=True)),
            Send(WireFrame(10, b"late", masked=True)),
        )
    )
    search = _Search(_deaf_if_ping, FuzzSettings(), 0)
    first = search.attempt(start)
    assert first is not None
    reduced = search.reduce(first).conversation
    assert reduced == Conversation(
        (
            Send(WireFrame(2, b"", fin=False, masked=True)),
            Send(WireFrame(9, b"", masked=True)),
            Send(WireFrame(0, b"", masked=True)),
        )
    )
    assert search.examples > 5


def test_simpler_conversations_are_one_step_away() -> None:
    conversation = Conversation(
        (Send(WireFrame(1, b"a", fin=False, rsv=1)), Send(WireFrame(0, b"", masked=True), SYNC))
    )
    steps = list(_simpler(conversation, masked=True))
    assert steps[:2] == [Conversation(conversation.sends[1:]), Conversation(conversation.sends[:1])]
    first = [s.sends[0].frame for s in steps[2:6]]
    assert first == [
        WireFrame(1, b"", fin=False, rsv=1),
        WireFrame(1, b"a", fin=False, rsv=1, masked=True),
        WireFrame(1, b"a", fin=False),
        WireFrame(1, b"a", rsv=1),
    ]
    assert steps[6].sends[1].pattern == BURST and len(steps) == 7


def _client(case: Case) -> CaseResult:
    # The tester is the server; the peer is the reference core as an echo client.
    return run_case(case, tester.SERVER)[0]


def test_the_search_fuzzes_a_client_with_a_servers_conversations() -> None:
    settings = FuzzSettings(seed=8, max_examples=120, masked=False)
    assert settings.target == "client"
    result = fuzz(_client, settings)
    assert result.finding is None and result.error is None
    deaf = fuzz(lambda case: run_case(case, tester.SERVER, echo=False)[0], settings)
    assert deaf.finding is not None
    assert deaf.finding.conversation == Conversation((Send(WireFrame(2)),))
    assert deaf.finding.case.applies_to == "client"


def test_a_mismatch_that_does_not_happen_again_is_not_a_finding() -> None:
    calls: list[str] = []

    def once(case: Case) -> CaseResult:
        # Deaf for the first conversation only, as a peer slowed down for a moment.
        calls.append(case.id)
        return _deaf(case) if len(calls) == 1 else _reference(case)

    result = fuzz(once, FuzzSettings(seed=1, max_examples=20))
    assert result.finding is None and result.error is None
    assert len(result.unconfirmed) == 1
    assert result.unconfirmed[0].startswith(f"{calls[0]}: The peer sent nothing")


def test_the_search_goes_on_after_an_unconfirmed_mismatch() -> None:
    calls: list[str] = []

    def flaky_then_deaf(case: Case) -> CaseResult:
        # Deaf once (timing), then right for a while, then deaf for good: the search
        # must not stop at the first, and must find the second.
        calls.append(case.id)
        return _deaf(case) if len(calls) == 1 or len(calls) > 10 else _reference(case)

    result = fuzz(flaky_then_deaf, FuzzSettings(seed=1, max_examples=40))
    assert result.error is None
    assert result.unconfirmed_count == 1 and len(result.unconfirmed) == 1
    assert result.unconfirmed[0].startswith(f"{calls[0]}: The peer sent nothing")
    assert result.finding is not None
    assert result.finding.conversation == Conversation((Send(WireFrame(2, masked=True)),))


def test_a_peer_failing_every_other_run_gives_only_unconfirmed_notes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "MAX_UNCONFIRMED", 3)
    calls: list[str] = []

    def alternating(case: Case) -> CaseResult:
        calls.append(case.id)
        return _deaf(case) if len(calls) % 2 == 1 else _reference(case)

    result = fuzz(alternating, FuzzSettings(seed=4, max_examples=60))
    assert result.error is None and result.finding is None
    assert result.unconfirmed_count > 3 and len(result.unconfirmed) == 3
    assert result.examples == 60 + result.unconfirmed_count


def test_stop_ends_the_search_with_the_first_confirmed_mismatch() -> None:
    stop = threading.Event()
    calls: list[str] = []

    def deaf_then_stop(case: Case) -> CaseResult:
        # The first mismatch is confirmed, then the run is stopped while it shrinks.
        calls.append(case.id)
        if len(calls) == 3:
            stop.set()
        return _deaf(case)

    result = fuzz(deaf_then_stop, FuzzSettings(seed=2, max_examples=100), stop=stop)
    assert result.interrupted and result.error is None
    assert result.finding is not None and result.finding.case_id == calls[0]
    assert len(calls) == 3 and result.examples == 3


def test_an_executor_interrupted_by_stop_is_no_harness_error() -> None:
    stop = threading.Event()

    def interrupted(case: Case) -> CaseResult:
        stop.set()
        raise runner.Interrupted("stopped")

    result = fuzz(interrupted, FuzzSettings(seed=2, max_examples=100), stop=stop)
    assert result.interrupted and result.error is None and result.finding is None
    assert result.examples == 1


def test_length_mutations_give_the_reference_core_no_mismatch() -> None:
    result = fuzz(_reference, FuzzSettings(seed=3, max_examples=150, length_mutations=True))
    assert result.finding is None and result.error is None and result.examples == 150
