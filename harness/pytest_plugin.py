"""The pytest plugin: wsconform's catalog cases as pytest items (entry point ``pytest11``).

``pytest --wsconform-target ws://127.0.0.1:9001 [--wsconform-cases '6.4.*,7.1.1']``
collects one item per selected case, ``wsconform::test_case[6.4.1]``, in any folder
(one with no test file of the user's too: the items are added to the session's
collection, not found in files), plus one fuzz item, ``wsconform::test_fuzz[server]``.
Each case item runs its case against the target on a fresh connection with the runner's
executor (:func:`~wsconform.harness.runner.executor.execute_case`) and fails when the
gate's rule says so (:func:`~wsconform.harness.gate.fails`, ``--wsconform-fail-on``),
with the case's reason, what was expected and what came, the wire log and the command
that replays it. A harness error (target unreachable, not a WebSocket server) fails the
item with a one-line message that says so: it is about us, not a verdict.

With pytest-xdist (``-n auto``) the items spread over the workers; each worker attaches
the pickled :class:`~wsconform.harness.report.model.CaseResult` of an item (or its
:class:`~wsconform.harness.report.model.HarnessError`) to the item's test report (an
attribute, :data:`RESULT_ATTRIBUTE`, which xdist serializes with the report) and the
controller, the only process that writes, collects them into one
:class:`~wsconform.harness.report.model.Report` and writes ONE report with the usual
renderers into ``--wsconform-outdir`` at the end of the session (docs/reports.md), as
``wsconform test-server`` does.

The fuzz item runs the network fuzzer (:mod:`wsconform.harness.fuzz.runner`:
``fuzz_target`` with ``FuzzSettings(max_examples=...)``) against the target and fails
with its shrunk finding's reproduction (``wsconform.harness.fuzz.reproduction``); the
finding is saved to the corpus as ``wsconform fuzz`` saves it (``--wsconform-corpus DIR``,
default the same as the command's: :func:`~wsconform.harness.fuzz.corpus.default_corpus`),
so the replay command the reproduction prints works, and its case goes into the report
like any other. While those modules are not installed the item is skipped with that
reason.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import io
import pathlib
import pickle
import time
import types
from collections.abc import Generator
from typing import Any

import pytest

from wsconform.cases import catalog
from wsconform.cases.model import Case
from wsconform.harness.commands.case_options import UsageError, select_cases
from wsconform.harness.commands.test_server import check_outdir, check_testdata
from wsconform.harness.fuzz import profiles
from wsconform.harness.fuzz.corpus import default_corpus, entry_of, save
from wsconform.harness.gate import FAIL_ON, expected_outcome, fails
from wsconform.harness.record.describe import (
    describe_ending,
    describe_events,
    describe_expected_close,
)
from wsconform.harness.record.outcome import Outcome
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.exceptions import ReportError
from wsconform.harness.report.html_views import wirelog_lines
from wsconform.harness.report.model import CaseResult, HarnessError, Report
from wsconform.harness.report.render import FORMATS, parse_formats, write_reports
from wsconform.harness.report.text import text_summary
from wsconform.harness.runner.config import RunOptions, Target
from wsconform.harness.runner.executor import case_deadline, execute_case
from wsconform.harness.runner.scheduler import UNKNOWN_AGENT, probe
from wsconform.harness.wire.exceptions import WireError
from wsconform.reference.asyncio import loop as event_loop

__all__ = [
    "DEFAULT_OUTDIR",
    "FUZZ_ENTRY",
    "REPRODUCTION_ENTRY",
    "RESULT_ATTRIBUTE",
    "CaseFailed",
    "CaseItem",
    "FuzzFailed",
    "FuzzItem",
    "HarnessFailure",
    "Outcomes",
    "WsconformCollector",
    "WsconformSession",
    "decode_result",
    "encode_result",
    "failure_text",
    "pytest_addoption",
    "pytest_configure",
]

#: Where the report goes without ``--wsconform-outdir``.
DEFAULT_OUTDIR = "reports/pytest"
#: The attribute of a test report that carries a case's pickled result (or error).
RESULT_ATTRIBUTE = "wsconform_result"
#: The network fuzzer's module and the names the fuzz item uses from it, then the module
#: that writes a finding's reproduction.
FUZZ_ENTRY = ("wsconform.harness.fuzz.runner", ("fuzz_target", "FuzzSettings"))
REPRODUCTION_ENTRY = ("wsconform.harness.fuzz.reproduction", "reproduction")
#: Longest wire log shown in a failure, in lines (the report keeps all of it).
_WIRELOG_LINES = 40
#: Seconds past a case's own deadline before the item gives up on it.
_GRACE = 15.0
_PLUGIN_NAME = "wsconform-session"


class HarnessFailure(Exception):
    """A case produced no verdict because of us or the environment (a harness error)."""


class CaseFailed(Exception):
    """A case's outcome fails the gate; carries its result."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.case_id)
        self.result = result


def pytest_addoption(parser: pytest.Parser) -> None:
    """The ``--wsconform-*`` options."""
    group = parser.getgroup("wsconform", "WebSocket conformance testing (wsconform)")
    group.addoption(
        "--wsconform-target",
        metavar="URL",
        help="a ws:// or wss:// server to test: collects wsconform's cases as test items",
    )
    group.addoption(
        "--wsconform-cases",
        action="append",
        metavar="PATTERNS",
        help="comma-separated case ids or patterns such as '6.4.*' (repeatable; default: all "
        "of the catalog)",
    )
    group.addoption(
        "--wsconform-exclude", action="append", metavar="PATTERNS", help="cases to leave out"
    )
    group.addoption(
        "--wsconform-catalog",
        choices=sorted(catalog.CATALOGS),
        help="which cases the patterns look into (default autobahn, or all with "
        "--wsconform-cases; docs/catalogs.md)",
    )
    group.addoption(
        "--wsconform-outdir",
        metavar="DIR",
        help=f"where the one report of the session is written (default {DEFAULT_OUTDIR})",
    )
    group.addoption(
        "--wsconform-formats",
        metavar="LIST",
        default=",".join(FORMATS),
        help=f"report formats, comma-separated (default {','.join(FORMATS)})",
    )
    group.addoption(
        "--wsconform-agent",
        metavar="NAME",
        help="the agent name in the report (default: the target's Server header)",
    )
    group.addoption(
        "--wsconform-fail-on",
        choices=sorted(FAIL_ON),
        default="failed",
        help="the least outcome that fails an item (default failed)",
    )
    group.addoption(
        "--wsconform-testdata",
        metavar="DIR",
        help="directory with Autobahn's original 12.x data files (default: generated ones)",
    )
    group.addoption(
        "--wsconform-fuzz-examples",
        type=int,
        default=None,
        metavar="N",
        help="conversations the fuzz item sends (default: max_examples of the Hypothesis "
        f"profile {profiles.ENV_VAR} names; 0 leaves the item out)",
    )
    group.addoption(
        "--wsconform-fuzz-seed",
        type=int,
        default=None,
        metavar="N",
        help="the fuzz item's seed (default: a random one; the finding names it)",
    )
    group.addoption(
        "--wsconform-corpus",
        metavar="DIR",
        help="where the fuzz item saves a finding (default: as wsconform fuzz: cases/corpus "
        "in a source checkout, else .wsconform/corpus)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Check the options and register the session's plugin when a target is given.

    Raises:
        pytest.UsageError: a bad URL, case pattern, format list or count.
    """
    config.addinivalue_line("markers", "wsconform: a wsconform case or fuzz item (the plugin)")
    url = config.getoption("wsconform_target")
    if url is None:
        return
    try:
        target = Target(url)
    except WireError as exc:
        raise pytest.UsageError(f"--wsconform-target: {exc}") from None
    try:
        # The event loop the cases run on, as the command line chooses it.
        event_loop.choose()
    except event_loop.LoopError as exc:
        raise pytest.UsageError(f"wsconform: {exc} ({event_loop.ENV_VAR})") from None
    try:
        cases = select_cases(
            config.getoption("wsconform_cases"),
            config.getoption("wsconform_exclude"),
            catalog_name=config.getoption("wsconform_catalog"),
            target="server",
        )
        formats = parse_formats(config.getoption("wsconform_formats"))
        testdata = check_testdata(config.getoption("wsconform_testdata"))
        outdir = check_outdir(config.getoption("wsconform_outdir") or DEFAULT_OUTDIR)
    except (UsageError, ValueError) as exc:
        raise pytest.UsageError(f"wsconform: {exc}") from None
    examples = config.getoption("wsconform_fuzz_examples")
    if examples is None:
        try:
            examples = profiles.PROFILES[profiles.profile_name()].max_examples
        except ValueError as exc:
            raise pytest.UsageError(f"wsconform: {exc}") from None
    if examples < 0:
        raise pytest.UsageError(f"--wsconform-fuzz-examples must be >= 0, not {examples}")
    session = WsconformSession(
        target,
        cases,
        agent=config.getoption("wsconform_agent"),
        fail_on=FAIL_ON[config.getoption("wsconform_fail_on")],
        outdir=outdir,
        formats=formats,
        fuzz_examples=examples,
        controller=not hasattr(config, "workerinput"),
        options=RunOptions(testdata=testdata),
        corpus=pathlib.Path(config.getoption("wsconform_corpus") or default_corpus()),
        fuzz_seed=config.getoption("wsconform_fuzz_seed"),
    )
    config.pluginmanager.register(session, _PLUGIN_NAME)


class _Pickler(pickle.Pickler):
    """Pickles the read-only mappings of cases (``types.MappingProxyType``) as copies."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.MappingProxyType):
            return _mapping_proxy, (dict(obj),)
        return NotImplemented


def _mapping_proxy(data: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(data)


Outcomes = list[CaseResult | HarnessError]


def encode_result(results: Outcomes) -> str:
    """An item's results (or harness errors) as text that travels in a test report."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(list(results))
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_result(text: str) -> Outcomes:
    """The inverse of :func:`encode_result` (only for what our own workers sent).

    Raises:
        ValueError: ``text`` is not encoded results.
    """
    value = pickle.loads(base64.b64decode(text))
    if not isinstance(value, list):
        raise ValueError(f"not wsconform results: {type(value).__name__}")
    for item in value:
        if not isinstance(item, CaseResult | HarnessError):
            raise ValueError(f"not a wsconform result: {type(item).__name__}")
    return value


def failure_text(result: CaseResult) -> str:
    """Why a case fails: outcome, reason, expected and actual, wire log, replay command."""
    case, obs, verdicts = result.case, result.observation, result.verdicts
    lines = [
        f"wsconform case {case.id} {result.outcome.label} (behavior {verdicts.behavior}, "
        f"behaviorClose {verdicts.behavior_close})",
        f"  case:     {case.description.splitlines()[0] if case.description else case.id}",
        f"  why:      {verdicts.reason}",
    ]
    wanted = " or ".join(
        describe_events(events) + ("" if name == "OK" else f" ({name})")
        for name, events in case.expected.items()
    )
    close = describe_expected_close(case.expected_close)
    lines.append(f"  expected: {wanted}; {close}" if wanted else f"  expected: {close}")
    if obs.opened:
        lines.append(f"  actual:   {describe_events(obs.received)}; {describe_ending(obs)}")
    log = [
        f"    {line.number:3d} {line.label}: {line.summary}"
        + (f" {line.text!r}" if line.text else "")
        for line in wirelog_lines(obs)
        if "octets" not in line.kind  # frames, timers and the TCP end; not raw reads
    ]
    if log:
        shown = log[-_WIRELOG_LINES:]
        skipped = len(log) - len(shown)
        lines.append("  wire log" + (f" (last {len(shown)} lines):" if skipped else ":"))
        lines += shown
    if result.reproduce is not None:
        lines.append(f"  again:    {result.reproduce}")
    return "\n".join(lines)


class WsconformSession:
    """The plugin's state in one pytest process: what to run, and (in the controller)
    the report it collects and writes."""

    def __init__(
        self,
        target: Target,
        cases: list[Case],
        *,
        agent: str | None,
        fail_on: Outcome,
        outdir: pathlib.Path,
        formats: tuple[str, ...],
        fuzz_examples: int,
        controller: bool,
        options: RunOptions | None = None,
        corpus: pathlib.Path | None = None,
        fuzz_seed: int | None = None,
    ) -> None:
        self.target = target
        self.cases = cases
        self.agent = agent
        self.fail_on = fail_on
        self.outdir = outdir
        self.formats = formats
        self.fuzz_examples = fuzz_examples
        self.controller = controller
        self.options = options if options is not None else RunOptions()
        #: Where the fuzz item saves a finding.
        self.corpus = corpus if corpus is not None else default_corpus()
        self.fuzz_seed = fuzz_seed
        self.report = Report()
        self.written: list[pathlib.Path] | None = None
        self.write_error: str | None = None
        #: The terminal summary of the report written.
        self.summary = ""
        self._probe_error: str | None = None
        self._begin = time.monotonic()

    # --- collection ------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Add the catalog's collector to what the session collects, so that the items
        exist in a folder without test files, count, and obey ``-k`` and ``-m``."""
        report = yield
        if isinstance(collector, pytest.Session) and report.passed:
            assert isinstance(report.result, list)
            node = WsconformCollector.from_parent(collector, name="wsconform", nodeid="wsconform")
            report.result.append(node)
        return report

    # --- running ---------------------------------------------------------------------

    def agent_name(self) -> str:
        """The agent: ``--wsconform-agent``, else the target's Server header (one probe
        per process).

        Raises:
            HarnessFailure: the probe found no WebSocket server at the target.
        """
        if self.agent is not None:
            return self.agent
        if self._probe_error is not None:
            raise HarnessFailure(self._probe_error)
        try:
            server = event_loop.run(probe(self.target, self.options))
        except WireError as exc:
            self._probe_error = str(exc)
            raise HarnessFailure(self._probe_error) from None
        self.agent = server or UNKNOWN_AGENT
        return self.agent

    def run_case(self, case: Case) -> CaseResult:
        """Run ``case`` against the target and judge it.

        Raises:
            HarnessFailure: no verdict (unreachable target, our own failure, timeout).
        """
        agent = self.agent_name()
        limit = case_deadline(case, self.options) + _GRACE

        async def bounded() -> CaseResult:
            async with asyncio.timeout(limit):
                return await execute_case(
                    case,
                    self.target,
                    agent=agent,
                    run_index=catalog.run_index(case.id),
                    options=self.options,
                )

        try:
            return event_loop.run(bounded())
        except WireError as exc:
            raise HarnessFailure(str(exc)) from None
        except TimeoutError:
            raise HarnessFailure(f"case {case.id} did not end within {limit:g} s") from None
        except RuntimeError as exc:
            cause = exc.__cause__ if exc.__cause__ is not None else exc
            raise HarnessFailure(f"{type(cause).__name__}: {cause}") from exc

    def result_fails(self, result: CaseResult) -> bool:
        """The gate's rule for one result (``--wsconform-fail-on``, no baseline)."""
        return fails(result.outcome, self.fail_on, expected_outcome(result.case))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Attach the item's results to the report of its call phase."""
        report = yield
        if isinstance(item, CaseItem | FuzzItem) and call.when == "call" and item.outcomes:
            setattr(report, RESULT_ATTRIBUTE, encode_result(item.outcomes))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The controller (or the only process) keeps every result for the report."""
        if not self.controller:
            return
        text = getattr(report, RESULT_ATTRIBUTE, None)
        if not isinstance(text, str):
            return
        for value in decode_result(text):
            if isinstance(value, CaseResult):
                self.report.add(value)
            else:
                self.report.add_error(value)

    # --- the one report --------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write the one report of the session (the controller only)."""
        if not self.controller or not (self.report.agents or self.report.errors):
            return
        try:
            collection = Collection.of(self.report, self.outdir)
            self.written = write_reports(collection, self.outdir, self.formats)
        except ReportError as exc:
            self.write_error = str(exc)
            return
        self.summary = text_summary(collection, time.monotonic() - self._begin)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say where the report went (or why it could not be written)."""
        if not self.controller:
            return
        if self.write_error is not None:
            terminalreporter.write_line(f"wsconform: report not written: {self.write_error}")
        elif self.written is not None:
            terminalreporter.section("wsconform")
            for line in self.summary.splitlines():
                terminalreporter.write_line(line)
            terminalreporter.write_line(f"wsconform: report written to {self.outdir}/")


class WsconformCollector(pytest.Collector):
    """The session's synthetic collector of the catalog's items (no file behind it)."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        session = self.config.pluginmanager.get_plugin(_PLUGIN_NAME)
        assert isinstance(session, WsconformSession)
        items: list[pytest.Item | pytest.Collector] = [
            CaseItem.from_parent(self, name=f"test_case[{case.id}]", case=case, run=session)
            for case in session.cases
        ]
        if session.fuzz_examples:
            items.append(FuzzItem.from_parent(self, name="test_fuzz[server]", run=session))
        return items

    def reportinfo(self) -> tuple[pathlib.Path, int | None, str]:
        return self.path, None, "wsconform"


class CaseItem(pytest.Item):
    """One catalog case against the target."""

    def __init__(self, *, case: Case, run: WsconformSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.run = run
        #: The result (or harness error) once the item ran.
        self.outcomes: Outcomes = []
        self.add_marker(pytest.mark.wsconform)

    def runtest(self) -> None:
        """Run the case; fail when its outcome fails the gate.

        Raises:
            CaseFailed: the outcome fails the gate.
            HarnessFailure: no verdict.
        """
        try:
            result = self.run.run_case(self.case)
        except HarnessFailure as exc:
            error = HarnessError(self.run.agent or UNKNOWN_AGENT, self.case.id, str(exc))
            self.outcomes = [error]
            raise
        self.outcomes = [result]
        self.user_properties.append(("wsconform_outcome", result.outcome.label))
        if self.run.result_fails(result):
            raise CaseFailed(result)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        """The case's failure in words, or the harness error in one line."""
        if isinstance(excinfo.value, CaseFailed):
            return failure_text(excinfo.value.result)
        if isinstance(excinfo.value, HarnessFailure):
            return (
                f"wsconform harness error (not a verdict) in case {self.case.id}: {excinfo.value}"
            )
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[pathlib.Path, int | None, str]:
        return self.path, None, f"wsconform case {self.case.id}"


class FuzzFailed(Exception):
    """The fuzzer found a mismatch; carries its reproduction."""


class FuzzItem(pytest.Item):
    """The network fuzzer against the target, when it is installed."""

    def __init__(self, *, run: WsconformSession, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.run = run
        #: The finding's result (or the harness error) once the item ran.
        self.outcomes: Outcomes = []
        self.add_marker(pytest.mark.wsconform)

    @staticmethod
    def api() -> tuple[Any, Any, Any] | None:
        """``fuzz_target``, ``FuzzSettings`` and ``reproduction``; ``None`` while the
        network fuzzer is not installed."""
        (module_name, (run_name, settings_name)), (text_module, text_name) = (
            FUZZ_ENTRY,
            REPRODUCTION_ENTRY,
        )
        try:
            runner = importlib.import_module(module_name)
            texts = importlib.import_module(text_module)
        except ModuleNotFoundError as exc:
            # Only our own modules' absence means "not installed"; anything else is a bug.
            if exc.name in (module_name, text_module):
                return None
            raise
        found = (
            getattr(runner, run_name, None),
            getattr(runner, settings_name, None),
            getattr(texts, text_name, None),
        )
        return found if all(callable(f) for f in found) else None

    def runtest(self) -> None:
        """Fuzz the target; fail with the shrunk finding's reproduction.

        Raises:
            pytest.skip.Exception: the network fuzzer is not installed.
            FuzzFailed: the fuzzer found a mismatch.
            HarnessFailure: the fuzz run produced no verdict.
        """
        api = self.api()
        if api is None:
            pytest.skip(f"the network fuzzer is not available ({FUZZ_ENTRY[0]})")
        fuzz_target, fuzz_settings, reproduction = api
        try:
            agent = self.run.agent_name()
        except HarnessFailure as exc:
            self.outcomes = [HarnessError(UNKNOWN_AGENT, None, str(exc))]
            raise
        examples = self.run.fuzz_examples
        settings = fuzz_settings(
            seed=self.run.fuzz_seed, max_examples=examples, options=self.run.options
        )
        result = fuzz_target(self.run.target, settings, agent=agent)
        self.outcomes = list(result.results)
        if result.error is not None:
            self.outcomes.append(result.error)
            raise HarnessFailure(result.error.message)
        if result.finding is not None:
            url = self.run.target.url
            saved: pathlib.Path | None = None
            problem = []
            try:
                saved = save(entry_of(result.finding, url=url), self.run.corpus)
            except OSError as exc:
                problem = [f"cannot save the finding to {self.run.corpus}: {exc}"]
            lines = reproduction(result.finding, url=url, saved=saved, max_examples=examples)
            raise FuzzFailed("\n".join(lines + problem))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        """The finding's reproduction, or the harness error in one line."""
        if isinstance(excinfo.value, FuzzFailed):
            return f"wsconform fuzz: {excinfo.value}"
        if isinstance(excinfo.value, HarnessFailure):
            return f"wsconform harness error (not a verdict) while fuzzing: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[pathlib.Path, int | None, str]:
        return self.path, None, "wsconform fuzz"
