"""``--shard I/N``: a deterministic share of the selected cases, balanced by cost.

Cases are not dealt round-robin: the compressed echo loops of sections 12 and 13 and
the large messages of section 9 take most of a run's time, and their ids sit next to
each other, so shards cut by position would leave one shard with nearly all of it.
Instead each case gets an expected cost (:func:`expected_cost`: one unit, plus the
bytes it sends and gets echoed, plus its pauses), and the cases, dearest first, each go to
the shard with the least cost so far (longest processing time first, ties to the lower
shard). The same selection always gives the same shards on every machine, and the
shards of ``1/N`` ... ``N/N`` are disjoint and together are the whole selection
(``docs/ci.md``).
"""

from __future__ import annotations

from collections.abc import Sequence

from wsconform.cases.model import Case, ContinueLater, EchoLoop

__all__ = ["BYTES_PER_UNIT", "ShardError", "expected_cost", "parse_shard", "shard"]

#: Echo-loop bytes that cost as much as one ordinary case (about a second's work).
BYTES_PER_UNIT = 4 * 2**20


class ShardError(ValueError):
    """A ``--shard`` value that is not ``I/N`` with 1 <= I <= N."""


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``.

    Raises:
        ShardError: not two integers ``I/N`` with 1 <= I <= N.
    """
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise ShardError(f"--shard must be I/N with 1 <= I <= N, not {text!r}")
    return i, n


def expected_cost(case: Case) -> float:
    """A case's expected running time, in units of an ordinary case."""
    cost = 1.0
    for step in case.steps:
        if isinstance(step, EchoLoop):
            weight = 8 if step.data_file is not None else 1  # compression both ways
            cost += weight * step.count * max(step.length, 1) / BYTES_PER_UNIT
        elif isinstance(step, ContinueLater):
            # killAfter and closeAfter are upper bounds; a pause is always waited for.
            cost += step.delay
        else:
            sent = getattr(step, "repeat_length", None) or len(getattr(step, "payload", b""))
            cost += 2 * sent / BYTES_PER_UNIT  # sent, then echoed
    return cost


def shard(cases: Sequence[Case], index: int, count: int) -> list[Case]:
    """The cases of shard ``index`` of ``count`` (from 1), in their given order."""
    loads = [0.0] * count
    owner: dict[str, int] = {}
    order = sorted(enumerate(cases), key=lambda item: (-expected_cost(item[1]), item[0]))
    for _position, case in order:
        target = min(range(count), key=lambda k: (loads[k], k))
        loads[target] += expected_cost(case)
        owner[case.id] = target + 1
    return [case for case in cases if owner[case.id] == index]
