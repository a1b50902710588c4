"""Shards: deterministic, disjoint, complete, balanced by expected cost."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.harness.runner import shards
from wsconform.harness.runner.shards import ShardError, expected_cost, parse_shard, shard


def test_the_module_exports_what_it_lists() -> None:
    assert all(hasattr(shards, name) for name in shards.__all__)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shards_are_disjoint_and_complete(count: int) -> None:
    cases = catalog.select(["*"], [])
    parts = [shard(cases, i, count) for i in range(1, count + 1)]
    ids = [c.id for part in parts for c in part]
    assert sorted(ids) == sorted(c.id for c in cases)
    assert len(ids) == len(set(ids))
    for part in parts:
        assert part == [c for c in cases if c in part], "catalog order kept"
    assert parts == [shard(cases, i, count) for i in range(1, count + 1)], "deterministic"


def test_sections_12_and_13_are_spread_over_every_shard() -> None:
    cases = catalog.select(["*"], [])
    costs = [sum(map(expected_cost, shard(cases, i, 4))) for i in range(1, 5)]
    assert max(costs) < 1.05 * min(costs), costs
    heavy = [sum(c.id.startswith(("12.", "13.")) for c in shard(cases, i, 4)) for i in range(1, 5)]
    assert min(heavy) > 40, heavy


def test_a_compressed_echo_loop_costs_more_than_a_frame() -> None:
    assert expected_cost(catalog.get("12.1.10")) > 10 * expected_cost(catalog.get("1.1.1"))


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "3", "", "1/2/3"])
def test_bad_shards(text: str) -> None:
    with pytest.raises(ShardError, match="--shard must be I/N"):
        parse_shard(text)


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
