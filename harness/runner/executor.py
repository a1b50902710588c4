"""Running one case: interpret its steps on a fresh connection and judge the result.

:func:`execute_case` connects, lets the :class:`CaseExecutor` run the case's steps when
the opening handshake completes, waits until TCP is gone, and computes the verdicts
with :func:`wsconform.harness.verdicts.judge`. The interpretation rules are those of
:mod:`wsconform.cases.model` (Autobahn's mechanics, docs/autobahn.md section 2):

* steps run in order at open; :class:`~wsconform.cases.model.ContinueLater` pauses them
  (``CT``/``CTE``) and the rest runs later unless the connection is CLOSED by then;
* ``killAfter`` (``KL``/``KLE``) fails the connection: close 1001 "Going Away" while
  OPEN, a TCP drop while CLOSING; ``closeAfter`` (``TI``/``TIE``) sends an empty close
  while OPEN;
* messages and pongs are recorded in arrival order (messages only while the tester has
  not failed the connection), and after each one the tester auto-closes with the first
  expected close code when :func:`~wsconform.harness.verdicts.auto_close_due` says so;
* case logic (9.x, 12/13) consumes data messages instead: the one-echo check of
  :class:`~wsconform.cases.model.ExpectEcho` and the message loop of
  :class:`~wsconform.cases.model.EchoLoop`.

Every timer is relative to the moment its step ran, a deadline on the connection's
clock (:meth:`~wsconform.harness.wire.protocol.TesterProtocol.call_later`), and does
nothing once the connection is CLOSED. The executor itself does no I/O and reads no
clock of its own: a unit test drives it on the sans-I/O
:class:`~wsconform.harness.wire.protocol.TesterProtocol` with a fake clock, and
:func:`case_result` judges what it recorded. A case whose TCP connection is
still up ``case_slack`` seconds after its last timer should have ended it is dropped by
the tester (Autobahn would wait for ever; see docs/autobahn.md section 4.2).

Testing a client, the tester is the server: :class:`ServedCase` builds the server-role
connection a ``/runCase`` request is handed to (:mod:`wsconform.harness.wire.server`),
and :meth:`ServedCase.result` waits for the case and judges it with the same rules.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import ssl
from collections.abc import Callable
from typing import Any

from wsconform.cases.deflate import offers_header
from wsconform.cases.ids import is_autobahn_id
from wsconform.cases.model import (
    Case,
    CloseAfter,
    ContinueLater,
    EchoLoop,
    ExpectEcho,
    KillAfter,
    Message,
    Pong,
    RecordTimeout,
    RequireDeflate,
    SendClose,
    SendFrame,
    SendMessage,
    SendWireFrame,
    SetWirelog,
    Step,
    StreamFrameData,
    StreamFrameHeader,
    Timeout,
)
from wsconform.harness.handshake_verdicts import judge_case
from wsconform.harness.record.observation import (
    CloseAfterArmed,
    CloseAfterFired,
    ContinueLaterArmed,
    ContinueLaterFired,
    KillAfterArmed,
    KillAfterFired,
    Observation,
)
from wsconform.harness.report.model import CaseResult
from wsconform.harness.strict import apply_strict
from wsconform.harness.verdicts import (
    EchoLoopJudge,
    LogicOutcome,
    auto_close_due,
    deflate_missing,
    echo_waiting,
    judge_echo,
)
from wsconform.harness.wire.client import connect
from wsconform.harness.wire.connection import TesterConnection
from wsconform.harness.wire.frame import LengthEncoding, WireFrame
from wsconform.harness.wire.handshake import ServerSettings
from wsconform.harness.wire.protocol import CLOSED, OPEN, SERVER, TesterProtocol

from . import handshake_cases
from .config import RunOptions, Target

__all__ = ["CaseExecutor", "ServedCase", "case_deadline", "case_result", "execute_case"]

_NORMAL = 1000
#: How long to wait for asyncio to report a dropped connection as lost.
_LOST_GRACE = 5.0


def case_deadline(case: Case, options: RunOptions) -> float:
    """Seconds after the connect by which a case must have ended (see module docstring).

    The case's pauses plus its longest timer (killAfter, closeAfter, the wait of its
    case logic), plus the opening handshake, closing handshake and server drop timers,
    plus ``case_slack``.
    """
    timeouts = options.timeouts
    pauses = 0.0
    longest = 0.0
    for step in case.steps:
        if isinstance(step, ContinueLater):
            pauses += step.delay
        elif isinstance(step, KillAfter | CloseAfter):
            longest = max(longest, pauses + step.delay)
        elif isinstance(step, ExpectEcho | EchoLoop):
            longest = max(longest, pauses + step.wait)
    longest = max(longest, pauses)
    library = timeouts.open_handshake + timeouts.close_handshake
    return longest + library + timeouts.server_connection_drop + timeouts.case_slack


class CaseExecutor:
    """Interprets one case on one connection (the connection's :class:`ConnectionEvents`).

    ``conn`` is the sans-I/O connection it drives (set before the connection opens);
    ``on_end``, when set, is called once TCP is gone.

    Raises (from the callbacks, caught by :func:`execute_case` as harness errors):
        ValueError: a 12/13 loop without its test data.
    """

    def __init__(self, case: Case, obs: Observation, options: RunOptions) -> None:
        self.case = case
        self.obs = obs
        self.options = options
        self.conn: TesterProtocol | None = None
        self.on_end: Callable[[], None] | None = None
        self.opened_at: float | None = None
        self.lost_at: float | None = None
        self.ended = False
        self.error: BaseException | None = None
        self._expect: ExpectEcho | None = None
        self._judge: EchoLoopJudge | None = None
        self._loop_done = False

    # --- ConnectionEvents ---------------------------------------------------------------

    def on_open(self) -> None:
        """The case starts: run the steps."""
        self.opened_at = self._connection.clock()
        # wsconform's own families judge the peer's close codes by the IANA registry
        # (1012-1014 are valid); Autobahn's ids keep Autobahn's list (docs/autobahn.md
        # section 2.6).
        self._connection.registry_close_codes = not is_autobahn_id(self.case.id)
        self._guard(self._run_steps, 0)

    def on_message(self, payload: bytes, binary: bool) -> None:
        """A data message: to the case logic, or to the received list."""
        self._guard(self._message, payload, binary)

    def on_pong(self, payload: bytes) -> None:
        """A pong: recorded, then the auto-close check."""
        self.obs.record(Pong(payload))
        self._guard(self._auto_close)

    def on_lost(self) -> None:
        """TCP is gone: the case is over."""
        # The connection forgets the case's pending timers with the rest of its deadlines.
        self.lost_at = self._connection.clock()
        self.ended = True
        if self.on_end is not None:
            self.on_end()

    # --- helpers ------------------------------------------------------------------------

    def _guard(self, function: Callable[..., None], *args: Any) -> None:
        """Run a callback; an exception of ours ends the case as a harness error."""
        try:
            function(*args)
        except Exception as exc:
            self.error = exc
            if self.conn is not None:
                self.conn.drop(abort=True)

    def _later(self, delay: float, function: Callable[..., None], *args: Any) -> None:
        self._connection.call_later(delay, functools.partial(self._guard, function, *args))

    def _set_logic(self, outcome: LogicOutcome) -> None:
        if outcome.behavior is not None:
            self.obs.logic_behavior = outcome.behavior
        self.obs.logic_result = outcome.result

    @property
    def _connection(self) -> TesterProtocol:
        assert self.conn is not None
        return self.conn

    # --- steps --------------------------------------------------------------------------

    def _run_steps(self, start: int) -> None:
        steps = self.case.steps
        conn = self._connection
        for index in range(start, len(steps)):
            step = steps[index]
            if isinstance(step, ContinueLater):
                self.obs.log(ContinueLaterArmed(step.delay, step.tag))
                self._later(step.delay, self._resume, index + 1, step.tag)
                return
            if isinstance(step, RecordTimeout):
                # The 6.4 fail-fast sequence stops at the first close, in either direction.
                if conn.state is not OPEN:
                    return
                self.obs.record(Timeout(step.tag))
                continue
            if isinstance(step, RequireDeflate):
                if conn.deflate is None:
                    self._set_logic(deflate_missing())
                    conn.send_close(_NORMAL)
                    return
                continue
            self._step(step)

    def _resume(self, start: int, tag: str | None) -> None:
        conn = self._connection
        if conn.state is CLOSED:
            return
        self.obs.log(ContinueLaterFired(tag))
        self._run_steps(start)

    def _step(self, step: Step) -> None:
        conn = self._connection
        obs = self.obs
        if isinstance(step, SendFrame | SendMessage):
            self._send(step)
        elif isinstance(step, SendWireFrame):
            self._send_wire(step)
        elif isinstance(step, SendClose):
            conn.send_close(step.code, step.reason)
        elif isinstance(step, StreamFrameHeader):
            conn.send_stream_header(step.opcode, step.length, fin=step.fin, rsv=step.rsv)
        elif isinstance(step, StreamFrameData):
            conn.send_stream_data(step.data)
        elif isinstance(step, KillAfter):
            obs.log(KillAfterArmed(step.delay))
            self._later(step.delay, self._kill)
        elif isinstance(step, CloseAfter):
            obs.log(CloseAfterArmed(step.delay))
            self._later(step.delay, self._close_after)
        elif isinstance(step, SetWirelog):
            obs.set_wirelog(step.enabled, marker=step.marker)
        elif isinstance(step, ExpectEcho):
            self._expect = step
            self._set_logic(echo_waiting(step))
        elif isinstance(step, EchoLoop):
            self._start_loop(step)
        else:  # pragma: no cover - ContinueLater etc. are handled by _run_steps
            raise TypeError(f"unexpected step {step!r}")

    def _send(self, step: SendFrame | SendMessage, data: bytes | None = None) -> None:
        """Send a frame or message step; ``data`` is its payload when already expanded."""
        conn = self._connection
        if data is None:
            data = step.data()
        if isinstance(step, SendFrame):
            conn.send_frame(
                step.opcode,
                data,
                fin=step.fin,
                rsv=step.rsv,
                pattern=step.payload if step.repeat_length is not None else None,
                repeat_length=step.repeat_length,
                chopsize=step.chopsize,
                sync=step.sync,
            )
        else:
            size = step.fragment_size
            if size is None:
                size = self.case.options.auto_fragment_size
            conn.send_message(data, binary=step.binary, fragment_size=size)

    def _send_wire(self, step: SendWireFrame) -> None:
        conn = self._connection
        masked = conn.role is not SERVER if step.masked is None else step.masked
        bits = None if step.length_bits is None else LengthEncoding(step.length_bits)
        frame = WireFrame(
            step.opcode, step.payload, step.fin, step.rsv, masked=masked,
            mask_key=step.mask_key, length=step.length, length_encoding=bits,
        )  # fmt: skip
        conn.send_wire_frame(
            frame, chopsize=step.chopsize, sync=step.sync, chop_header=step.chop_header
        )

    def _kill(self) -> None:
        self.obs.log(KillAfterFired())
        # Autobahn's failConnection(): close 1001 "Going Away" while OPEN, drop when
        # already CLOSING.
        self._connection.fail()

    def _close_after(self) -> None:
        self.obs.log(CloseAfterFired())
        conn = self._connection
        if conn.state is OPEN:
            conn.send_close()

    # --- case logic ---------------------------------------------------------------------

    def _start_loop(self, step: EchoLoop) -> None:
        data = None
        if step.data_file is not None:
            if self.options.testdata is None:
                raise ValueError(f"no test data loader for {step.data_file}")
            data = self.options.testdata(step.data_file)
        self._judge = EchoLoopJudge(step, data)
        outcome, first = self._judge.start()
        self._set_logic(outcome)
        self._send(first, self._judge.payload)

    def _message(self, payload: bytes, binary: bool) -> None:
        conn = self._connection
        if self._expect is not None:
            self._set_logic(judge_echo(self._expect, binary, len(payload)))
            self.obs.set_wirelog(True, marker=False)
            conn.send_close(_NORMAL)
            return
        judge = self._judge
        if judge is not None:
            if self._loop_done:
                return
            if judge.echoed(payload, binary):
                # The next message of a data-file loop, as _send sends the loop's
                # SendMessage (no fragment size of its own: the case's).
                conn.send_message(
                    judge.payload, binary=binary,
                    fragment_size=self.case.options.auto_fragment_size,
                )  # fmt: skip
                return
            reply = judge.on_message(payload, binary)
            if reply.send is not None:
                self._send(reply.send, judge.payload)
                return
            self._loop_done = True
            if reply.outcome is not None:
                self._set_logic(reply.outcome)
            if reply.capture_traffic_stats:
                self.obs.traffic_stats = self.obs.traffic.snapshot()
            self.obs.set_wirelog(True, marker=True)
            conn.send_close(_NORMAL)
            return
        self.obs.record(Message(payload, binary))
        self._auto_close()

    def _auto_close(self) -> None:
        conn = self._connection
        if conn.state is OPEN and auto_close_due(self.case, self.obs):
            conn.send_close(self.case.expected_close.close_codes[0])


async def execute_case(
    case: Case,
    target: Target,
    *,
    agent: str,
    run_index: int,
    options: RunOptions | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> CaseResult:
    """Run ``case`` against ``target`` on a fresh connection and judge it.

    ``ssl_context`` is a prepared :class:`ssl.SSLContext` (shared by the cases of a run);
    ``None`` builds one from ``target`` when the URL is ``wss://``.

    Raises:
        ConnectError: the target cannot be reached (a harness error).
        RuntimeError: our own failure while the case ran (a harness error), with the
            original exception as its cause.
    """
    options = options if options is not None else RunOptions()
    timeouts = options.timeouts
    obs = Observation()
    executor = CaseExecutor(case, obs, options)
    uri = target.uri
    deflate = case.options.deflate
    settings = handshake_cases.request_settings(case, uri) or target.request_settings(
        offers_header(deflate.offers) if deflate else None
    )
    context = ssl_context if ssl_context is not None else target.ssl_context()

    def factory() -> TesterConnection:
        conn = TesterConnection(
            uri,
            obs,
            executor,
            settings=settings,
            timeouts=timeouts.wire(),
            max_message_size=options.max_message_size,
        )
        executor.conn = conn.protocol
        return conn

    loop = asyncio.get_running_loop()
    started = datetime.datetime.now(datetime.UTC)
    connect_at = loop.time()
    conn = await connect(
        uri,
        factory,
        ssl_context=context,
        server_hostname=target.server_hostname,
        timeout=timeouts.connect,
    )
    return await _finish(
        case, executor, conn, agent=agent, run_index=run_index, options=options,
        started=started, connect_at=connect_at, target=target.url,
    )  # fmt: skip


async def _finish(
    case: Case,
    executor: CaseExecutor,
    conn: TesterConnection,
    *,
    agent: str,
    run_index: int,
    options: RunOptions,
    started: datetime.datetime,
    connect_at: float,
    target: str | None,
) -> CaseResult:
    """Wait until the case's TCP connection is gone (under its deadline) and judge it.

    Raises:
        RuntimeError: see :func:`execute_case`.
    """
    obs = executor.obs
    loop = asyncio.get_running_loop()
    deadline = case_deadline(case, options)
    lost: asyncio.Future[None] = loop.create_future()

    def ended() -> None:
        if not lost.done():
            lost.set_result(None)

    executor.on_end = ended
    if executor.ended:
        ended()
    try:
        await asyncio.wait_for(asyncio.shield(lost), deadline)
    except TimeoutError:
        if obs.was_not_clean_reason is None or obs.was_clean:
            obs.was_clean = False
            obs.was_not_clean_reason = f"the case was still connected after {deadline:g} s"
        conn.drop(abort=True)
        try:
            await asyncio.wait_for(asyncio.shield(lost), _LOST_GRACE)
        except TimeoutError:
            raise RuntimeError("the dropped connection was never reported lost") from None
    return case_result(
        case, executor, agent=agent, run_index=run_index, started=started,
        begin=connect_at, end=loop.time(), target=target, strict=options.strict,
    )  # fmt: skip


def case_result(
    case: Case,
    executor: CaseExecutor,
    *,
    agent: str,
    run_index: int,
    started: datetime.datetime,
    begin: float,
    end: float,
    target: str | None,
    strict: bool = False,
) -> CaseResult:
    """Judge a case whose connection is gone: its verdicts and its duration.

    ``begin`` (the connect) and ``end`` (now) stand in for the opening and the loss
    when the executor saw neither; ``strict`` applies the strict profile
    (:func:`~wsconform.harness.strict.apply_strict`).

    Raises:
        RuntimeError: see :func:`execute_case`.
    """
    if executor.error is not None:
        raise RuntimeError(f"the case failed inside the tester: {executor.error}") from (
            executor.error
        )
    end = executor.lost_at if executor.lost_at is not None else end
    begin = executor.opened_at if executor.opened_at is not None else begin
    duration_ms = round((end - begin) * 1000)
    obs = executor.obs
    verdicts = judge_case(case, obs)
    return CaseResult(
        case=case,
        agent=agent,
        run_index=run_index,
        observation=obs,
        verdicts=apply_strict(case, obs, verdicts) if strict else verdicts,
        started=started,
        duration_ms=duration_ms,
        target=target,
    )


class ServedCase:
    """One case run for a client that connected to ``/runCase`` (the tester is the server).

    :attr:`connection` is the server-role connection to hand the request to; it accepts
    permessage-deflate as the case's accept rule says (12.x, 13.x) and the first offered
    of ``protocols`` as its subprotocol. Build it inside the running event loop.
    """

    def __init__(
        self,
        case: Case,
        *,
        agent: str,
        run_index: int,
        options: RunOptions | None = None,
        protocols: tuple[str, ...] = (),
    ) -> None:
        self.case = case
        self.agent = agent
        self.run_index = run_index
        self.options = options if options is not None else RunOptions()
        self.obs = Observation()
        self.executor = CaseExecutor(case, self.obs, self.options)
        deflate = case.options.deflate
        self.connection = TesterConnection(
            None,
            self.obs,
            self.executor,
            timeouts=self.options.timeouts.wire(),
            max_message_size=self.options.max_message_size,
            role=SERVER,
            accept=handshake_cases.server_settings(
                case,
                ServerSettings(
                    deflate.accept if deflate is not None else None, protocols=protocols
                ),
            ),
        )
        self.executor.conn = self.connection.protocol
        self.started = datetime.datetime.now(datetime.UTC)
        self.accepted_at = self.connection.loop.time()

    async def result(self) -> CaseResult:
        """Wait for the case to end and judge it.

        Raises:
            RuntimeError: our own failure while the case ran (a harness error).
        """
        return await _finish(
            self.case, self.executor, self.connection, agent=self.agent,
            run_index=self.run_index, options=self.options, started=self.started,
            connect_at=self.accepted_at, target=None,
        )  # fmt: skip
