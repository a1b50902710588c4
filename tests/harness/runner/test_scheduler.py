"""Which cases the scheduler holds to one per core: the compressed echo loops only."""

from __future__ import annotations

import os

import pytest

from wsconform.cases import catalog
from wsconform.harness.runner.scheduler import HEAVY_JOBS, is_heavy


def test_the_deflate_loops_of_12_and_13_are_heavy() -> None:
    heavy = [case.id for case in catalog.CASES if is_heavy(case)]
    assert len(heavy) == 216
    assert all(case_id.startswith(("12.", "13.")) for case_id in heavy)


@pytest.mark.parametrize("case_id", ["1.1.1", "5.19", "9.1.6", "9.7.1", "9.8.6", "10.1.1"])
def test_other_cases_are_not_heavy(case_id: str) -> None:
    # 9.7/9.8 are echo loops too, but of a repeated pattern without compression.
    assert not is_heavy(catalog.get(case_id))


def test_heavy_jobs_is_one_per_core() -> None:
    assert max(1, os.cpu_count() or 1) == HEAVY_JOBS
