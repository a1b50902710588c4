"""The network fuzzer: generated conversations against a live peer, judged by the oracle.

:func:`fuzz_target` lets Hypothesis draw conversations (:func:`.strategies.conversations`)
and runs each one as an ordinary catalog case (:func:`.oracle.to_case`) on its own
connection through the case executor (:func:`~wsconform.harness.runner.executor.execute_case`),
so a generated conversation is judged by exactly the rules of the fixed cases. A FAILED
outcome is a *mismatch*: Hypothesis shrinks the conversation to the smallest one that
still fails, and the result carries it as a :class:`Finding` (the conversation, the
oracle's prediction, the case and its result, the seed). OK and NON-STRICT are both
passes: NON-STRICT is what the RFC tolerates.

A target that cannot be reached, stops completing the opening handshake, or a failure
of our own, is a harness error (:attr:`FuzzResult.error`), never a finding: the search
stops at once, and nothing is shrunk.

How Hypothesis is driven: one ``@given`` test function per search, run
programmatically with ``settings(database=..., max_examples=..., deadline=None)`` and a
seed (``hypothesis.seed``), phases explicit, reuse (examples the database holds, the
failures of earlier runs, replayed first), generate and shrink. The test body runs its
case synchronously on one event loop that lives in a thread of its own
(:class:`LoopThread`), which the peer's connections share. ``jobs`` > 1 runs that many
searches in threads, seeds ``seed``, ``seed + 1``, ...; the first mismatch stops the
others, so that its shrinking has the peer to itself.

The first mismatch is run once more at once, before Hypothesis shrinks it: one that
passes then was a matter of timing (a loaded machine, a peer slower than
``kill_after``); it is noted as unconfirmed (:attr:`FuzzResult.unconfirmed`), never a
finding, and the search goes on as if the example had passed. The shrunk mismatch is
confirmed the same way at the end; when it does not happen again, the first confirmed
mismatch is the finding instead.

Budgets: ``time_budget`` ends the generation (a clean run then stops early); once a
mismatch is seen, shrinking may go on for ``shrink_budget`` seconds more, after which
the smallest failing conversation seen so far is the finding.

A ``stop`` event (:func:`fuzz`'s, :func:`fuzz_target`'s; ``wsconform fuzz`` sets it on
SIGINT or SIGTERM) ends the run after the examples running finish: the result is
marked :attr:`FuzzResult.interrupted`, and a mismatch seen by then is the finding as it
was first confirmed, not shrunk further.

Fuzzing a client (``wsconform fuzz --serve PORT``) uses the same search with
conversations masked as a server writes them; only the way an example reaches the
peer differs (:data:`Execute`): see :func:`fuzz`, which takes any executor.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import random
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.database import ExampleDatabase
from hypothesis.errors import Flaky

from wsconform.cases.model import AppliesTo, Case
from wsconform.harness.record.outcome import NON_STRICT
from wsconform.harness.report.model import CaseResult, HarnessError
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.executor import case_deadline, execute_case
from wsconform.harness.wire.exceptions import WireError
from wsconform.reference.protocol.connection import CLIENT, SERVER

from .conversation import BURST, Conversation, Send
from .deviations import DEVIATIONS, deviation_of
from .oracle import Prediction, predict, to_case
from .strategies import conversations

__all__ = [
    "CORPUS_PREFIX",
    "DEFAULT_AGENT",
    "MAX_UNCONFIRMED",
    "Execute",
    "Finding",
    "FuzzResult",
    "FuzzSettings",
    "Interrupted",
    "LoopThread",
    "case_of",
    "corpus_id",
    "fuzz",
    "fuzz_target",
    "is_mismatch",
]

#: The family prefix of fuzzed cases' ids (``corpus.<hex digest>``).
CORPUS_PREFIX = "corpus"
#: The agent name of a fuzz run when none is given.
DEFAULT_AGENT = "fuzzed"

T = TypeVar("T")


def corpus_id(conversation: Conversation) -> str:
    """The case id of a conversation: ``corpus.`` and its digest (10 hex digits)."""
    return f"{CORPUS_PREFIX}.{conversation.digest()}"


def case_of(
    conversation: Conversation, *, kill_after: float = 1.0, target: AppliesTo = "server"
) -> tuple[Case, Prediction]:
    """The conversation as a catalog case (id :func:`corpus_id`) that tests a
    ``target`` (``"server"``: the conversation is a client's; ``"client"``: a
    server's), and the oracle's prediction behind its expectations.
    """
    side = CLIENT if target == "client" else SERVER
    prediction = predict(conversation, side=side)
    case = to_case(
        conversation,
        prediction,
        case_id=corpus_id(conversation),
        kill_after=kill_after,
        masked=target == "server",
    )
    return dataclasses.replace(case, applies_to=target), prediction


def is_mismatch(result: CaseResult) -> bool:
    """Whether a result is a finding: FAILED (OK and NON-STRICT pass)."""
    return result.outcome > NON_STRICT


@dataclasses.dataclass(frozen=True, slots=True)
class FuzzSettings:
    """How one fuzz run searches.

    ``seed`` ``None`` draws one (reported in the result, so the run can be repeated).
    ``max_examples`` conversations per search (Hypothesis' setting, shrinking apart);
    ``time_budget`` seconds of generation at most (``None``: no limit);
    ``shrink_budget`` seconds of shrinking at most after the first mismatch. ``jobs``
    searches run at once. ``database`` is any Hypothesis example database (``None``:
    none). ``kill_after`` is how long a case waits for the peer to fail the
    connection itself (see :func:`.oracle.to_case`). ``masked``: the conversations are
    a client's (testing a server) or a server's (``False``, testing a client).
    ``tolerate`` names deviations (:data:`.deviations.DEVIATIONS`) that are counted
    instead of being findings. ``length_mutations`` adds non-minimal length encodings
    and 64-bit lengths with the top bit set (:func:`.strategies.conversations`).

    Raises:
        ValueError: a count below 1, ``kill_after`` not above 0, an unknown deviation.
    """

    seed: int | None = None
    max_examples: int = 200
    time_budget: float | None = None
    shrink_budget: float = 120.0
    jobs: int = 1
    database: ExampleDatabase | None = None
    kill_after: float = 1.0
    options: RunOptions = dataclasses.field(default_factory=RunOptions)
    max_fragments: int = 4
    masked: bool = True
    tolerate: frozenset[str] = frozenset()
    length_mutations: bool = False

    @property
    def target(self) -> AppliesTo:
        """The kind of peer tested: ``"server"`` for a client's conversations."""
        return "server" if self.masked else "client"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.tolerate) - set(DEVIATIONS))
        if unknown:
            raise ValueError(f"unknown deviation {unknown[0]!r} (known: {', '.join(DEVIATIONS)})")
        if self.max_examples < 1:
            raise ValueError(f"max_examples must be at least 1, not {self.max_examples}")
        if self.jobs < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")
        if self.kill_after <= 0:
            raise ValueError(f"kill_after must be above 0, not {self.kill_after}")


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """A shrunk mismatch: what was sent, what the oracle expected, what came back."""

    conversation: Conversation
    prediction: Prediction
    case: Case
    result: CaseResult
    seed: int

    @property
    def case_id(self) -> str:
        """``corpus.<digest>``."""
        return self.case.id


@dataclasses.dataclass(slots=True)
class FuzzResult:
    """What a fuzz run did: how many conversations ran, the finding, or the error."""

    seed: int
    examples: int = 0
    seconds: float = 0.0
    finding: Finding | None = None
    error: HarnessError | None = None
    #: Every case judged for the report: the finding's (or nothing on a clean run).
    results: list[CaseResult] = dataclasses.field(default_factory=list)
    #: Mismatches of a tolerated deviation, by name.
    tolerated: dict[str, int] = dataclasses.field(default_factory=dict)
    #: Mismatches that passed when run again (timing: a loaded peer or machine), not
    #: findings: each one's case id and what the peer did the first time (at most
    #: :data:`MAX_UNCONFIRMED` of them; :attr:`unconfirmed_count` counts them all).
    unconfirmed: list[str] = dataclasses.field(default_factory=list)
    unconfirmed_count: int = 0
    #: The run was stopped (its ``stop`` event set) before it ended by itself.
    interrupted: bool = False

    @property
    def rate(self) -> float:
        """Conversations per second."""
        return self.examples / self.seconds if self.seconds > 0 else 0.0


class LoopThread:
    """An asyncio event loop running in a daemon thread, for synchronous callers.

    :meth:`run` submits a coroutine and waits for it under a timeout; several threads
    may submit at once. Use it as a context manager: the loop stops on exit.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="wsconform-fuzz-loop", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        cancelled = asyncio.run_coroutine_threadsafe(_cancel_all(), self.loop)
        with contextlib.suppress(concurrent.futures.TimeoutError, asyncio.CancelledError):
            cancelled.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self.loop.close()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coroutine`` on the loop and return its value.

        Raises:
            TimeoutError: it did not finish within ``timeout`` seconds (it is cancelled).
            Exception: whatever the coroutine raised.
        """
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no result within {timeout:g} s") from None


async def _cancel_all() -> None:
    """Cancel every other task of the running loop and wait until they are done."""
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


#: Runs one case against the peer and returns its result (a harness error raises).
Execute = Callable[[Case], CaseResult]


class Interrupted(Exception):
    """An executor gave up a case because the run's ``stop`` event was set."""


class _Stop(BaseException):
    """Ends a search from inside the test body (a budget, another search's finding).

    A ``BaseException``: Hypothesis lets it through instead of shrinking it.
    """


class _Abort(BaseException):
    """A harness error inside the test body: the search ends with it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


class _Mismatch(Exception):
    """The peer's answer to the example failed its case (what Hypothesis shrinks)."""

    def __init__(self, conversation: Conversation, case: Case, result: CaseResult) -> None:
        super().__init__(f"{case.id}: {result.verdicts.reason}")
        self.conversation = conversation
        self.case = case
        self.result = result


def _size(conversation: Conversation) -> tuple[int, int]:
    return len(conversation.sends), len(conversation.wire_bytes())


#: At most this many conversations are tried by the frame-level shrinking of a finding.
_REDUCE_TRIES = 60
#: At most this many unconfirmed mismatches are kept (all are counted).
MAX_UNCONFIRMED = 20


def _simpler(conversation: Conversation, *, masked: bool) -> Iterator[Conversation]:
    """Conversations one step simpler than ``conversation``, most promising first:
    one frame fewer; then one frame with an empty payload, its own role's masking,
    no RSV bit, FIN set, written in the burst."""
    sends = conversation.sends
    if len(sends) > 1:
        for index in range(len(sends)):
            yield Conversation(sends[:index] + sends[index + 1 :])
    for index, send in enumerate(sends):
        frame = send.frame
        changes: list[Send] = []
        if frame.payload:
            changes.append(Send(dataclasses.replace(frame, payload=b""), send.pattern))
        if frame.masked is not masked:
            changes.append(Send(dataclasses.replace(frame, masked=masked), send.pattern))
        if frame.rsv:
            changes.append(Send(dataclasses.replace(frame, rsv=0), send.pattern))
        if not frame.fin:
            changes.append(Send(dataclasses.replace(frame, fin=True), send.pattern))
        if send.pattern != BURST:
            changes.append(Send(frame, BURST))
        for change in changes:
            yield Conversation((*sends[:index], change, *sends[index + 1 :]))


class _Search:
    """The shared state of one fuzz run's searches (see the module docstring)."""

    def __init__(
        self,
        execute: Execute,
        fuzz_settings: FuzzSettings,
        base_seed: int,
        stop: threading.Event | None = None,
    ) -> None:
        self.execute = execute
        self.stop = stop if stop is not None else threading.Event()
        self.settings = fuzz_settings
        self.base_seed = base_seed
        self.lock = threading.Lock()
        self.examples = 0
        self.deadline = (
            None
            if fuzz_settings.time_budget is None
            else time.monotonic() + fuzz_settings.time_budget
        )
        self.owner: int | None = None  # the search that saw the first mismatch
        self.first_mismatch_at: float | None = None
        self.best: _Mismatch | None = None
        self.error: str | None = None
        self.tolerated: dict[str, int] = {}
        self.first: _Mismatch | None = None  # the first confirmed mismatch
        self.unconfirmed: list[str] = []
        self.unconfirmed_count = 0

    def body(self, index: int, conversation: Conversation) -> None:
        """One example of search ``index``: run it; raise on a mismatch."""
        now = time.monotonic()
        with self.lock:
            if self.error is not None or self.stop.is_set():
                raise _Stop
            if self.owner is not None and self.owner != index:
                raise _Stop
            if self.owner is None and self.deadline is not None and now > self.deadline:
                raise _Stop
            started = self.first_mismatch_at
            if started is not None and now - started > self.settings.shrink_budget:
                raise _Stop
            self.examples += 1
        mismatch = self.attempt(conversation)
        if mismatch is None:
            return
        with self.lock:
            first = self.owner is None
        if first:
            again = self.again(mismatch)
            if again is None:
                self.note_unconfirmed(mismatch)
                return  # not the peer's rules: the search goes on
            mismatch = again
        with self.lock:
            if self.owner is None:
                self.owner = index
                self.first_mismatch_at = time.monotonic()
                self.first = mismatch
            if self.best is None or _size(conversation) < _size(self.best.conversation):
                self.best = mismatch
        raise mismatch

    def attempt(self, conversation: Conversation) -> _Mismatch | None:
        """Run one conversation: the mismatch, or ``None`` (a pass, or a tolerated
        deviation, counted).

        Raises:
            _Abort: a harness error (recorded in :attr:`error`).
        """
        case, prediction = case_of(
            conversation, kill_after=self.settings.kill_after, target=self.settings.target
        )
        try:
            result = self.execute(case)
        except Exception as exc:
            if isinstance(exc, Interrupted) or self.stop.is_set():
                raise _Stop from exc
            # Unreachable, gone, or a failure of ours: never a finding.
            kind = "" if isinstance(exc, WireError | TimeoutError | OSError) else "internal: "
            message = f"{case.id}: {kind}{type(exc).__name__}: {exc}"
            with self.lock:
                self.error = self.error or message
            raise _Abort(message) from exc
        if not result.observation.opened:
            reason = result.observation.was_not_clean_reason or "no reason given"
            message = f"{case.id}: the opening handshake did not complete ({reason})"
            with self.lock:
                self.error = self.error or message
            raise _Abort(message)
        if not is_mismatch(result):
            return None
        deviation = deviation_of(conversation, prediction, self.settings.tolerate)
        if deviation is not None:
            with self.lock:
                self.tolerated[deviation] = self.tolerated.get(deviation, 0) + 1
            return None
        return _Mismatch(conversation, case, result)

    def again(self, mismatch: _Mismatch) -> _Mismatch | None:
        """Run the mismatch's conversation again: the new mismatch, or ``None`` when it
        passes (then it was timing, not the peer's rules).

        Raises:
            _Abort: a harness error.
        """
        with self.lock:
            self.examples += 1
        return self.attempt(mismatch.conversation)

    def note_unconfirmed(self, mismatch: _Mismatch) -> None:
        """Note a mismatch that did not happen again (kept up to :data:`MAX_UNCONFIRMED`)."""
        with self.lock:
            self.unconfirmed_count += 1
            if len(self.unconfirmed) < MAX_UNCONFIRMED:
                self.unconfirmed.append(f"{mismatch.case.id}: {mismatch.result.verdicts.reason}")

    def confirm(self, mismatch: _Mismatch) -> _Mismatch | None:
        """:meth:`again`, or ``None`` also when the run ended with a harness error or
        was stopped."""
        try:
            return self.again(mismatch)
        except (_Abort, _Stop):
            return None

    def reduce(self, mismatch: _Mismatch) -> _Mismatch:
        """Frame-level shrinking after Hypothesis's: drop whole frames, then simplify
        what is left (see :func:`_simpler`), as long as the mismatch stays.

        Hypothesis shrinks choices; a mutation belongs to a frame's position in the
        message, so it cannot always move a deviation to a shorter message. Each
        candidate runs on the peer like any example (at most :data:`_REDUCE_TRIES`).
        """
        best = mismatch
        tries = 0
        improved = True
        while improved and tries < _REDUCE_TRIES:
            improved = False
            for candidate in _simpler(best.conversation, masked=self.settings.masked):
                if tries >= _REDUCE_TRIES:
                    break
                if self.stop.is_set():
                    return best
                tries += 1
                with self.lock:
                    self.examples += 1
                try:
                    found = self.attempt(candidate)
                except (_Abort, _Stop):
                    return best
                if found is not None:
                    best, improved = found, True
                    break
        return best

    def run(self, index: int) -> _Mismatch | None:
        """Search ``index``: the shrunk mismatch it ends with, if any."""
        fuzz_settings = self.settings
        per_search = -(-fuzz_settings.max_examples // fuzz_settings.jobs)

        # ``seed`` first, ``settings`` last: ``hypothesis.seed`` alone turns the
        # database off (it means "reproduce this run"), but here the seed only chooses
        # the generation and the database's findings are still replayed first.
        @settings(
            max_examples=per_search,
            deadline=None,
            database=fuzz_settings.database,
            derandomize=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            print_blob=False,
        )
        @seed(self.base_seed + index)
        @given(
            conversations(
                masked=fuzz_settings.masked,
                wire_mutations=False,
                max_fragments=fuzz_settings.max_fragments,
                length_mutations=fuzz_settings.length_mutations,
            )
        )
        def search(conversation: Conversation) -> None:
            self.body(index, conversation)

        try:
            search()
        except _Mismatch as exc:
            return exc
        except (_Stop, _Abort, Flaky):
            return None
        return None


def fuzz(
    execute: Execute, fuzz_settings: FuzzSettings, *, stop: threading.Event | None = None
) -> FuzzResult:
    """Search with ``execute`` running each example; the shrunk finding, if any.

    ``execute`` must be thread-safe when ``jobs`` > 1. Any exception it raises (the
    target unreachable or gone, a failure of ours) or a case whose opening handshake
    failed ends the run with :attr:`FuzzResult.error`, unless ``stop`` is set by then
    (or it raises :class:`Interrupted`): setting ``stop`` ends the run, marked
    :attr:`FuzzResult.interrupted`, after the examples running finish.
    """
    base_seed = fuzz_settings.seed if fuzz_settings.seed is not None else random.randrange(2**32)
    search = _Search(execute, fuzz_settings, base_seed, stop)
    begin = time.monotonic()
    if fuzz_settings.jobs == 1:
        ends = [search.run(0)]
    else:
        with concurrent.futures.ThreadPoolExecutor(fuzz_settings.jobs) as pool:
            ends = list(pool.map(search.run, range(fuzz_settings.jobs)))
    shrunk = next((end for end in ends if end is not None), None)
    best = search.best
    if shrunk is not None and (
        best is None or _size(shrunk.conversation) <= _size(best.conversation)
    ):
        best = shrunk
    stopped = search.stop.is_set
    if best is not None and search.error is None:
        confirmed = None if stopped() else search.confirm(best)
        if confirmed is None and search.error is None and not stopped():
            search.note_unconfirmed(best)
        if confirmed is None:
            # The shrunk one was timing, or the run was stopped: the first mismatch
            # was confirmed when it was seen.
            confirmed = search.first
        best = confirmed if confirmed is None or stopped() else search.reduce(confirmed)
    result = FuzzResult(base_seed, search.examples, time.monotonic() - begin)
    result.interrupted = stopped()
    result.unconfirmed = list(search.unconfirmed)
    result.unconfirmed_count = search.unconfirmed_count
    if search.error is not None:
        # Also when the target went away while a mismatch was shrunk: it may be the
        # conversation that killed it, but a dead target judges nothing.
        result.error = HarnessError(DEFAULT_AGENT, None, search.error)
        return result
    result.tolerated = dict(sorted(search.tolerated.items()))
    if best is not None:
        owner = search.owner if search.owner is not None else 0
        prediction = predict(best.conversation, side=SERVER if fuzz_settings.masked else CLIENT)
        result.finding = Finding(
            best.conversation, prediction, best.case, best.result, base_seed + owner
        )
        result.results.append(best.result)
    return result


def fuzz_target(
    target: Target | str,
    fuzz_settings: FuzzSettings | None = None,
    *,
    agent: str = DEFAULT_AGENT,
    run_index: Callable[[str], int] | None = None,
    stop: threading.Event | None = None,
) -> FuzzResult:
    """Fuzz the server at ``target`` (a URL or a :class:`Target`); see the module
    docstring. The results carry ``agent`` and the JSON ``case`` number ``run_index``
    gives (default 0). Setting ``stop`` ends the run (:func:`fuzz`).

    Raises:
        InvalidTargetURL: ``target`` is not a usable WebSocket URL.
    """
    fuzz_settings = fuzz_settings if fuzz_settings is not None else FuzzSettings()
    target = Target(target) if isinstance(target, str) else target
    options = fuzz_settings.options
    context = target.ssl_context()
    index_of = run_index if run_index is not None else (lambda _case_id: 0)
    with LoopThread() as loop:

        def execute(case: Case) -> CaseResult:
            timeout = case_deadline(case, options) + options.timeouts.connect + 10
            coroutine = execute_case(
                case,
                target,
                agent=agent,
                run_index=index_of(case.id),
                options=options,
                ssl_context=context,
            )
            return loop.run(coroutine, timeout)

        result = fuzz(execute, fuzz_settings, stop=stop)
    if result.error is not None:
        result.error = dataclasses.replace(result.error, agent=agent)
    return result
