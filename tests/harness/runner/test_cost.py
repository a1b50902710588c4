"""Which cases are CPU-heavy, and the scheduling rule of :class:`Schedule` (no sockets)."""

from __future__ import annotations

import os
import random

import pytest

from wsconform.cases import catalog
from wsconform.cases.model import Case
from wsconform.harness.runner.cost import HEAVY_JOBS, Schedule, case_load, is_heavy, pauses


def test_heavy_cases_are_the_large_messages_of_9_and_the_loops_of_12_and_13() -> None:
    heavy = [case.id for case in catalog.CASES if is_heavy(case)]
    assert sum(case_id.startswith(("12.", "13.")) for case_id in heavy) == 216
    nine = sorted(case_id for case_id in heavy if case_id.startswith("9."))
    small = {"9.1.1", "9.1.2", "9.2.1", "9.2.2"}
    every_nine = {case.id for case in catalog.CASES if case.id.startswith("9.")}
    assert set(nine) == every_nine - small
    assert all(case_id.startswith(("9.", "12.", "13.")) for case_id in heavy)


@pytest.mark.parametrize("case_id", ["1.1.1", "1.1.8", "5.19", "6.4.1", "7.1.6", "9.1.2", "10.1.1"])
def test_timer_bound_cases_are_not_heavy(case_id: str) -> None:
    assert not is_heavy(catalog.get(case_id))


def test_case_load_counts_bytes_and_frames() -> None:
    assert case_load(catalog.get("9.1.6")) == (16 << 20, 1)
    assert case_load(catalog.get("9.4.1")) == (4 << 20, 65537)
    assert case_load(catalog.get("9.7.6"))[1] == 1000
    # 10.1.1: 65,536 bytes with an automatic fragment size of 1,300 (docs/autobahn.md 6.5).
    assert case_load(catalog.get("10.1.1")) == (65536, 51)


def test_heavy_jobs_is_one_per_core() -> None:
    assert max(1, os.cpu_count() or 1) == HEAVY_JOBS


LIGHT = [catalog.get(case_id) for case_id in ["1.1.1", "2.1", "5.19", "6.4.1", "7.1.1", "10.1.1"]]
HEAVY = [catalog.get(case_id) for case_id in ["9.4.1", "9.1.6", "12.1.1", "12.2.3", "13.1.1"]]


def simulate(schedule: Schedule, cases: list[Case], seed: int) -> list[tuple[int, int]]:
    """Run the schedule to the end, finishing a random running case at each step.

    Returns (running, running heavy) after every start.
    """
    rng = random.Random(seed)
    seen: list[tuple[int, int]] = []
    running: list[Case] = []
    started: list[str] = []
    while True:
        while (case := schedule.take()) is not None:
            running.append(case)
            started.append(case.id)
            seen.append((schedule.running, schedule.running_heavy))
        if not running:
            break
        schedule.finish(running.pop(rng.randrange(len(running))))
    assert sorted(started) == sorted(case.id for case in cases)
    assert schedule.pending == 0
    return seen


@pytest.mark.parametrize("jobs", [1, 2, 3, 8, 16])
@pytest.mark.parametrize("cores", [1, 2, 4])
@pytest.mark.parametrize("seed", range(5))
def test_limits_hold_whatever_finishes_first(jobs: int, cores: int, seed: int) -> None:
    cases = LIGHT + HEAVY
    random.Random(seed).shuffle(cases)
    seen = simulate(Schedule(cases, jobs=jobs, cores=cores), cases, seed)
    assert all(running <= jobs for running, _ in seen)
    assert all(heavy <= min(cores, jobs) for _, heavy in seen)


def test_heavy_cases_start_first_one_per_core_and_light_ones_fill_the_rest() -> None:
    schedule = Schedule(LIGHT + HEAVY, jobs=8, cores=2)
    first = [schedule.take() for _ in range(8)]
    assert schedule.take() is None
    assert [case.id for case in first if case is not None] == [
        "9.4.1", "9.1.6", "6.4.1", "5.19", "1.1.1", "2.1", "7.1.1", "10.1.1",
    ]  # fmt: skip
    assert schedule.running_heavy == 2


def test_a_finished_heavy_case_frees_a_heavy_slot_not_more() -> None:
    schedule = Schedule(HEAVY, jobs=8, cores=2)
    a, b = schedule.take(), schedule.take()
    assert a is not None and b is not None
    assert schedule.take() is None  # six free slots, but only heavy cases left
    schedule.finish(a)
    c = schedule.take()
    assert c is not None and c.id == "12.1.1"
    assert schedule.take() is None


def test_heavy_cases_never_take_every_slot_while_light_ones_wait() -> None:
    # -j 2 on two cores: one heavy and one light at a time while lights are left.
    schedule = Schedule(HEAVY + LIGHT, jobs=2, cores=2)
    first, second = schedule.take(), schedule.take()
    assert first is not None and second is not None
    assert (first.id, second.id) == ("9.4.1", "6.4.1")
    assert schedule.running_heavy == 1
    schedule.finish(second)
    third = schedule.take()
    assert third is not None and third.id == "5.19"


def test_when_no_light_case_is_left_heavy_cases_use_every_core() -> None:
    schedule = Schedule(LIGHT[:1] + HEAVY, jobs=2, cores=2)
    heavy, light = schedule.take(), schedule.take()
    assert heavy is not None and light is not None and light.id == "1.1.1"
    assert heavy.id == "9.4.1"
    assert schedule.take() is None
    schedule.finish(light)
    assert schedule.take() is not None
    assert schedule.running_heavy == 2


def test_one_job_runs_the_given_order() -> None:
    cases = [LIGHT[0], HEAVY[0], LIGHT[1], HEAVY[1]]
    schedule = Schedule(cases, jobs=1, cores=4)
    order = []
    while (case := schedule.take()) is not None:
        assert schedule.take() is None
        order.append(case.id)
        schedule.finish(case)
    assert order == [case.id for case in cases]


def test_drain_gives_up_the_rest_in_the_given_order() -> None:
    cases = LIGHT + HEAVY
    schedule = Schedule(cases, jobs=3, cores=1)
    taken = {schedule.take(), schedule.take(), schedule.take()}
    left = schedule.drain()
    assert [case.id for case in left] == [case.id for case in cases if case not in taken]
    assert schedule.take() is None
    assert schedule.pending == 0


def test_finishing_a_case_that_is_not_running_is_an_error() -> None:
    schedule = Schedule(LIGHT, jobs=2)
    with pytest.raises(KeyError):
        schedule.finish(LIGHT[0])


@pytest.mark.parametrize(("jobs", "cores"), [(0, 1), (1, 0)])
def test_jobs_and_cores_must_be_positive(jobs: int, cores: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Schedule(LIGHT, jobs=jobs, cores=cores)


def test_the_cases_that_must_pause_start_first() -> None:
    assert pauses(catalog.get("6.4.1")) > pauses(catalog.get("5.19")) > 0
    assert pauses(catalog.get("1.1.1")) == pauses(catalog.get("7.1.1")) == 0
    cases = [catalog.get(case_id) for case_id in ["1.1.1", "5.19", "2.1", "6.4.3", "5.20"]]
    schedule = Schedule(cases, jobs=2)
    order = []
    while (case := schedule.take()) is not None:
        order.append(case.id)
        schedule.finish(case)
    assert order == ["6.4.3", "5.19", "5.20", "1.1.1", "2.1"]
