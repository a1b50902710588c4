"""The scheduler's own checks, before any socket is opened (its rule: test_cost.py)."""

from __future__ import annotations

import asyncio

import pytest

from wsconform.cases import catalog
from wsconform.harness.runner import cost
from wsconform.harness.runner.config import Target
from wsconform.harness.runner.scheduler import HEAVY_JOBS, is_heavy, run_cases


def test_the_scheduler_uses_the_cost_rule() -> None:
    assert HEAVY_JOBS == cost.HEAVY_JOBS
    assert is_heavy is cost.is_heavy


@pytest.mark.parametrize("jobs", [0, -1])
def test_jobs_below_one_is_refused(jobs: int) -> None:
    target = Target("ws://127.0.0.1:9/")
    with pytest.raises(ValueError, match="at least 1"):
        asyncio.run(run_cases(target, [catalog.get("1.1.1")], agent="a", jobs=jobs))
