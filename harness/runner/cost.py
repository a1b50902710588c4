"""What a case costs to run, and the order in which a run's cases start.

Two kinds of case share a run (docs/autobahn.md sections 6.1-6.6):

* **timer-bound** cases (most of sections 1-7 and 10): a few small frames, then a wait
  for an answer, a close or a timer (the 1 s pauses of 5.19, 5.20 and 6.4.x, the
  close-handshake timeouts). They need almost no CPU, so any number of them can run
  side by side, and the more do, the sooner the run ends.
* **CPU-heavy** cases: the large messages of section 9 (9.1-9.6 send up to 16 MiB in one
  message or 4 MiB in 65,536 fragments; 9.7 and 9.8 make 1,000 round trips in turn) and
  the compressed message loops of sections 12 and 13 (up to 1,000 messages of up to
  128 KiB, each deflated and inflated by both ends). They keep a core busy in the tester
  and in the target, so more of them at once than there are cores add no throughput;
  they only slow each other down (9.4.1 took 10 s at ``-j 8`` beside its neighbours and
  0.8 s alone) and stretch each message's round trip towards its time limit (13.x.1 must
  finish 1,000 round trips within 60 s). Section 9 also reports its durations, which mean
  something only when the case had a core to itself.

:func:`is_heavy` tells the two apart from a case's steps (the bytes and frames it sends,
a compressed loop), not from its id, so wsconform's own cases and shrunk fuzz findings
are classed by the same rule. :class:`Schedule` is the scheduling rule, free of I/O so a
unit test can drive it: up to ``jobs`` cases at once; heavy cases at most one per core
(:data:`HEAVY_JOBS`), and never in every slot while timer-bound cases wait, so heavy
cases never starve the others; heavy cases start first, since they are the run's
critical path (sections 12 and 13 take most of a full run's time), and the timer-bound
cases fill the remaining slots around them, those with the longest pauses first
(:func:`pauses`: 6.4.x and 5.19/5.20 wait 1-2 s whatever the peer does, so started last
they would end the run a second late). At ``jobs == 1`` cases run one at a time in the
given order.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Iterable

from wsconform.cases.model import (
    Case,
    ContinueLater,
    EchoLoop,
    ExpectEcho,
    SendFrame,
    SendMessage,
    StreamFrameData,
)

__all__ = [
    "HEAVY_BYTES",
    "HEAVY_FRAMES",
    "HEAVY_JOBS",
    "Schedule",
    "case_load",
    "is_heavy",
    "pauses",
]

#: Heavy cases run at most this many at once: one per core of this machine.
HEAVY_JOBS = max(1, os.cpu_count() or 1)

#: A case that sends at least this many payload bytes is heavy: 9.1.3 (1 MiB) and up,
#: 9.3-9.6 (1-4 MiB). Below it (9.1.1, 9.1.2: 64 and 256 KiB) the sending takes a
#: millisecond or two and the case waits on the echo like any other.
HEAVY_BYTES = 1 << 20

#: A case that sends at least this many frames is heavy: 9.3.1-9.3.4 and 9.4.1-9.4.4
#: (1,025 to 65,537 fragments), the 1,000 round trips of 9.7 and 9.8, and 9.5/9.6, whose
#: 1 MiB frame goes out in thousands of separate writes (counted as frames here).
HEAVY_FRAMES = 1000


def case_load(case: Case) -> tuple[int, int]:
    """The payload bytes and the frames (or separate writes) ``case`` sends.

    An :class:`~wsconform.cases.model.EchoLoop` counts ``count`` messages of ``length``
    units; an :class:`~wsconform.cases.model.ExpectEcho` counts nothing more (its
    message was counted by the step that sent it).
    """
    sent = 0
    frames = 0
    for step in case.steps:
        if isinstance(step, SendFrame):
            sent += step.length
            chops = -(-step.length // step.chopsize) if step.chopsize else 1
            frames += max(1, chops)
        elif isinstance(step, SendMessage):
            length = len(step.payload) if step.repeat_length is None else step.repeat_length
            size = step.fragment_size
            if size is None:
                size = case.options.auto_fragment_size
            sent += length
            frames += _fragments(length, size)
        elif isinstance(step, StreamFrameData):
            sent += len(step.data)
            frames += 1
        elif isinstance(step, EchoLoop):
            sent += step.count * step.length
            frames += step.count
        elif isinstance(step, ExpectEcho):
            continue
    return sent, frames


def _fragments(length: int, size: int) -> int:
    # As many as fragment_payload cuts (an empty last one when the size divides the
    # length), without cutting the payload.
    if size <= 0 or length <= size:
        return 1
    return length // size + 1


def pauses(case: Case) -> float:
    """Seconds ``case`` is sure to wait: its :class:`~wsconform.cases.model.ContinueLater`
    pauses (5.19, 5.20, 6.4.x); its other timers end it early only when the peer fails."""
    return sum(step.delay for step in case.steps if isinstance(step, ContinueLater))


def is_heavy(case: Case) -> bool:
    """Whether ``case`` is CPU-heavy (see the module docstring); the rest is timer-bound."""
    if any(isinstance(step, EchoLoop) and step.data_file is not None for step in case.steps):
        return True
    sent, frames = case_load(case)
    return sent >= HEAVY_BYTES or frames >= HEAVY_FRAMES


class Schedule:
    """Which case may start now, given what runs (the rule of the module docstring).

    :meth:`take` hands out the next case allowed to start, or ``None`` when none may
    (every slot taken, or only heavy cases left and their slots taken); :meth:`finish`
    frees a case's slot; :meth:`drain` gives up the cases not started yet.

    Raises:
        ValueError: ``jobs`` or ``cores`` is below 1.
    """

    def __init__(
        self,
        cases: Iterable[Case],
        *,
        jobs: int,
        cores: int = HEAVY_JOBS,
        heavy: Callable[[Case], bool] = is_heavy,
    ) -> None:
        if jobs < 1 or cores < 1:
            raise ValueError(f"jobs and cores must be at least 1, not {jobs} and {cores}")
        self.jobs = jobs
        self.cores = cores
        order = list(cases)
        self._position = {case.id: i for i, case in enumerate(order)}
        self._heavy_ids = {case.id for case in order if heavy(case)}
        self._heavy = collections.deque(case for case in order if case.id in self._heavy_ids)
        light = [case for case in order if case.id not in self._heavy_ids]
        if jobs > 1:
            # Longest pauses first (stable): they end the run last if they start last.
            light.sort(key=pauses, reverse=True)
        self._light = collections.deque(light)
        self._running: set[str] = set()
        self._running_heavy = 0

    @property
    def running(self) -> int:
        """How many cases are running."""
        return len(self._running)

    @property
    def running_heavy(self) -> int:
        """How many heavy cases are running."""
        return self._running_heavy

    @property
    def pending(self) -> int:
        """How many cases have not started."""
        return len(self._heavy) + len(self._light)

    def heavy_limit(self) -> int:
        """How many heavy cases may run at once right now.

        One per core, fewer than ``jobs`` while timer-bound cases wait (so that one of
        them always has a slot), up to ``jobs`` when none is left.
        """
        if self._light and self.jobs > 1:
            return min(self.cores, self.jobs - 1)
        return min(self.cores, self.jobs)

    def take(self) -> Case | None:
        """The next case to start now (marked running), or ``None`` if none may start."""
        if len(self._running) >= self.jobs or not (self._heavy or self._light):
            return None
        if self.jobs == 1:
            # One at a time: simply the given order.
            heavy_first = bool(self._heavy) and (
                not self._light
                or self._position[self._heavy[0].id] < self._position[self._light[0].id]
            )
            return self._start(self._heavy if heavy_first else self._light)
        if self._heavy and self._running_heavy < self.heavy_limit():
            return self._start(self._heavy)
        if self._light:
            return self._start(self._light)
        return None

    def _start(self, queue: collections.deque[Case]) -> Case:
        case = queue.popleft()
        self._running.add(case.id)
        if case.id in self._heavy_ids:
            self._running_heavy += 1
        return case

    def finish(self, case: Case) -> None:
        """``case`` (handed out by :meth:`take`) has ended: free its slot.

        Raises:
            KeyError: ``case`` is not running.
        """
        self._running.remove(case.id)
        if case.id in self._heavy_ids:
            self._running_heavy -= 1

    def drain(self) -> list[Case]:
        """Give up the cases not started yet and return them, in the given order."""
        drained = sorted([*self._heavy, *self._light], key=lambda c: self._position[c.id])
        self._heavy.clear()
        self._light.clear()
        return drained
