"""Real third-party clients run Autobahn's driver loop against the fuzzing server.

Each item serves one section (``--cases S.*``) from an in-process fuzzing server on a
free port of 127.0.0.1 and runs one client's driver (:mod:`tests.clients`) over real
sockets; then every case's verdict is compared with :data:`EXPECTED`: OK (or
INFORMATIONAL where the case is informational) unless a deviation is listed, each with
the library's choice and the RFC sentence behind the verdict. Sections 1-10 run for
every client; the CPU-bound 12/13 grid for ``websockets`` only (a subset of it), so that
the whole module costs little CPU and xdist spreads it by client and section.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http.server
import threading
from collections.abc import Callable, Iterator

import pytest

from tests import clients
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.gate import expected_outcome
from wsconform.harness.report.model import Report
from wsconform.harness.runner import data
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.wire.server import serve

#: The sections every client runs. Section 9's big messages (up to 16 MiB, 65,536
#: fragments) run whole for two clients; the others run its smallest cases, as
#: websocket-client's pure-Python masking alone takes minutes over the whole section.
SECTIONS = ("1", "2", "3", "4", "5", "6", "7", "9", "10")
SMALL_9 = "9.1.1,9.1.2,9.2.1,9.2.2,9.7.1,9.8.1"
WHOLE_9 = frozenset({"websockets", "node-ws"})
#: The CPU-bound 12/13 grid, a subset of it, for one client.
DEFLATE = {"websockets": ("12.1.1,12.1.2,12.2.1,12.4.1", "13.1.1,13.3.1,13.5.1,13.7.1")}

#: How long one section may take for one client.
SECTION_TIMEOUT = unit(240)


def _ids(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Groups of cases that several clients deviate on the same way.
_DROPPED_ECHO = _ids("3.2 3.3 3.4 4.1.3 4.1.4 4.1.5 4.2.3 4.2.4 4.2.5")
_UTF8_6X = _ids(
    "6.3.1 6.3.2 6.8.1 6.8.2 6.10.1 6.10.2 6.10.3 6.11.5 6.12.1 6.12.2 6.12.3 6.12.4 "
    "6.12.5 6.12.6 6.12.7 6.12.8 6.13.1 6.13.2 6.13.3 6.13.4 6.13.5 6.14.1 6.14.2 6.14.3 "
    "6.14.4 6.14.5 6.14.8 6.14.9 6.14.10 6.15.1 6.16.1 6.16.2 6.16.3 6.17.1 6.17.2 6.17.3 "
    "6.17.4 6.17.5 6.18.1 6.18.2 6.18.3 6.18.4 6.18.5 6.19.1 6.19.2 6.19.3 6.19.4 6.19.5 "
    "6.20.1 6.20.2 6.20.3 6.20.4 6.20.5 6.20.6 6.20.7 6.21.1 6.21.2 6.21.3 6.21.4 6.21.5 "
    "6.21.6 6.21.7 6.21.8"
)
_UTF8_INCOMPLETE = _ids("6.6.1 6.6.3 6.6.4 6.6.6 6.6.8 6.6.10 6.14.6 6.14.7")
_UTF8_FRAGMENTS = _ids("6.4.1 6.4.2 6.4.3 6.4.4")

_WHOLE_MESSAGE_UTF8 = (
    "validates UTF-8 once a message is whole, not fragment by fragment as it arrives, so "
    "it fails the connection after the second pause rather than the first; Autobahn "
    "accepts that (NON-STRICT): RFC 6455 section 8.1 lets an endpoint fail at the first "
    "invalid byte or at the end"
)
_FAIL_BEFORE_ECHO = (
    "fails the connection as soon as it reads the bad frame; when that frame came in the "
    "same read as the message before it, the application never echoes that message: "
    "NON-STRICT, the answer Autobahn accepts besides the echo (RFC 6455 section 5.2: the "
    "endpoint MUST fail the connection on a reserved bit or opcode)"
)

Verdicts = tuple[str, str]
Expectation = tuple[tuple[str, ...], tuple[Verdicts, ...], str]

#: Whether the echo leaves before the failure depends on how the reads fall.
_ECHO_OR_NOT = (("NON-STRICT", "OK"), ("OK", "OK"))

#: Deviations from OK per client: (case ids, the (behavior, behaviorClose) pairs
#: allowed, why).
EXPECTED: dict[str, list[Expectation]] = {
    "websockets": [
        ((*_DROPPED_ECHO, "5.15"), _ECHO_OR_NOT, f"websockets {_FAIL_BEFORE_ECHO}"),
        (_UTF8_FRAGMENTS, (("NON-STRICT", "OK"),), f"websockets {_WHOLE_MESSAGE_UTF8}"),
        (
            ("7.1.5",),
            (("FAILED", "WRONG CODE"),),
            "websockets fails the connection with 1002 'incomplete fragmented message' "
            "when the close frame arrives inside a fragmented message; RFC 6455 section "
            "5.4: control frames MAY be injected in the middle of a fragmented message, "
            "so the close must be answered with 1000",
        ),
        (
            _ids("9.3.1 9.3.2 9.3.3 9.4.1 9.4.2 9.4.3"),
            (("FAILED", "FAILED"),),
            "websockets' sync client refuses a message of more than MAX_FRAGMENTS frames "
            "(1009 'too many fragments', a library limit): 4 MiB in 64- to 256-byte "
            "fragments is 16,384 frames or more",
        ),
    ],
    "websocket-client": [
        (
            _ids(
                "2.5 3.1 3.2 3.3 3.4 3.5 3.6 3.7 4.1.1 4.1.2 4.1.3 4.1.4 4.1.5 4.2.1 4.2.2 "
                "4.2.3 4.2.4 4.2.5 5.1 5.2 5.9 5.10 5.11 5.12 5.13 5.14 5.15 5.16 5.17 5.18"
            ),
            (("OK", "WRONG CODE"),),
            "websocket-client raises on a protocol violation without sending a close "
            "frame itself; the application's close() then sends its default 1000, where "
            "RFC 6455 section 7.4.1 names 1002 for a protocol error",
        ),
        (
            _UTF8_6X,
            (("OK", "WRONG CODE"),),
            "websocket-client raises on invalid UTF-8 without a close frame; close() then "
            "sends 1000, where RFC 6455 section 7.4.1 names 1007 for data inconsistent "
            "with the message type",
        ),
        (
            _UTF8_FRAGMENTS,
            (("NON-STRICT", "WRONG CODE"),),
            f"websocket-client {_WHOLE_MESSAGE_UTF8}; then close() sends 1000, not 1007",
        ),
        (
            _UTF8_INCOMPLETE,
            (("FAILED", "FAILED"),),
            "websocket-client accepts a text message that ends inside a UTF-8 sequence "
            "(6.6.1 is the lone byte 0xCE) and echoes it; RFC 6455 section 8.1: such a "
            "byte stream is not valid UTF-8 and the endpoint MUST fail the connection",
        ),
        (
            _ids("7.3.2 7.3.6 7.5.1 7.9.1 7.9.2 7.9.3 7.9.4 7.9.5 7.9.6 7.9.7 7.9.8 7.9.9"),
            (("FAILED", "WRONG CODE"),),
            "websocket-client hands a close frame to the application without checking "
            "its length, code or reason, and close() answers 1000; RFC 6455 sections "
            "5.5 and 7.4.1 make a 1-byte or over-125-byte close body, a code not to be "
            "sent, or a non-UTF-8 reason a protocol error (1002)",
        ),
    ],
    "aiohttp": [
        (_UTF8_FRAGMENTS, (("NON-STRICT", "OK"),), f"aiohttp {_WHOLE_MESSAGE_UTF8}"),
        (
            ("7.9.5",),
            (("FAILED", "WRONG CODE"),),
            "aiohttp accepts the close code 1006 in a close frame and answers 1000; RFC "
            "6455 section 7.4.1: 1006 'MUST NOT be set as a status code in a Close "
            "control frame by an endpoint'",
        ),
    ],
    "node-ws": [
        (_UTF8_FRAGMENTS, (("NON-STRICT", "OK"),), f"ws {_WHOLE_MESSAGE_UTF8}"),
    ],
    "chromium": [
        ((*_DROPPED_ECHO, "5.15"), _ECHO_OR_NOT, f"Chromium {_FAIL_BEFORE_ECHO}"),
        (
            (*_UTF8_6X, *_UTF8_INCOMPLETE, *_UTF8_FRAGMENTS),
            (("OK", "WRONG CODE"),),
            "Chromium fails the connection on invalid UTF-8 with 1002 'Invalid UTF-8 in "
            "text frame'; RFC 6455 section 7.4.1 names 1007 for data inconsistent with "
            "the message type",
        ),
        (
            _ids("7.9.1 7.9.2 7.9.3 7.9.6 7.9.7 7.9.8 7.9.9"),
            (("FAILED", "WRONG CODE"),),
            "Chromium answers a close frame by echoing its status code without checking "
            "it (0, 999, 1004, 1016, 1100, 2000, 2999); RFC 6455 section 7.4.2: codes "
            "below 1000 are not used and 1000-2999 are reserved, a protocol error",
        ),
    ],
}


@contextlib.contextmanager
def fuzzing_server(patterns: str) -> Iterator[tuple[str, Report]]:
    """Serve the cases of ``patterns`` in a thread; yield the base URL and the report."""
    cases = catalog.select(patterns.split(","))
    report = Report()
    ready = threading.Event()
    state: dict[str, object] = {}

    async def main() -> None:
        server = FuzzingServer(
            cases,
            options=RunOptions(testdata=data.testdata_loader()),
            update_reports=lambda _agent: None,
            report=report,
        )
        listener = await serve(server.route, "127.0.0.1", 0)
        stop = asyncio.Event()
        state["url"] = f"ws://127.0.0.1:{listener.sockets[0].getsockname()[1]}"
        state["stop"] = functools.partial(asyncio.get_running_loop().call_soon_threadsafe, stop.set)
        ready.set()
        await stop.wait()
        listener.close()
        await server.drain(unit(5))

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(unit(10)), "the fuzzing server did not start"
    try:
        yield str(state["url"]), report
    finally:
        stop = state["stop"]
        assert callable(stop)
        stop()
        thread.join(unit(10))


def check(client: str, agent: str, report: Report, count: int, patterns: str) -> None:
    """Every case of the section ran and got its expected verdicts."""
    cases = catalog.select(patterns.split(","))
    results = {result.case_id: result for result in report.results(agent)}
    assert count == len(cases)
    assert len(results) == count, sorted({case.id for case in cases} - set(results))
    deviations = EXPECTED[client]
    wrong = []
    for case in cases:
        result = results[case.id]
        verdicts = (str(result.verdicts.behavior), str(result.verdicts.behavior_close))
        expected = next((allowed for ids, allowed, _why in deviations if case.id in ids), None)
        if expected is None:
            if result.outcome > expected_outcome(case):
                why = f"{result.verdicts.result} / {result.verdicts.result_close}"
                wrong.append(f"{case.id}: {verdicts}: {why}")
        elif verdicts not in expected:
            wrong.append(f"{case.id}: {verdicts}, expected {expected}")
    assert not wrong, "\n".join(wrong)


Driver = Callable[[str, str], int]


def node_driver(base: str, agent: str) -> int:
    return clients.run_node_ws(base, agent, SECTION_TIMEOUT)


DRIVERS: dict[str, Driver] = {
    "websockets": clients.run_websockets,
    "websocket-client": clients.run_websocket_client,
    "aiohttp": clients.run_aiohttp,
    "node-ws": node_driver,
}


def section_patterns(client: str, section: str) -> str:
    """The cases of ``section`` that ``client`` runs (see :data:`SECTIONS`)."""
    return SMALL_9 if section == "9" and client not in WHOLE_9 else f"{section}.*"


ITEMS = [
    *((client, section_patterns(client, section)) for client in DRIVERS for section in SECTIONS),
    *((client, patterns) for client, grid in DEFLATE.items() for patterns in grid),
]


@pytest.mark.parametrize(("client", "patterns"), ITEMS)
def test_library_client(client: str, patterns: str) -> None:
    if client == "node-ws" and (missing := clients.node_ws_available()) is not None:
        pytest.skip(missing)
    with fuzzing_server(patterns) as (url, report):
        count = DRIVERS[client](url, client)
    check(client, client, report, count, patterns)


class _Page(http.server.BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("section", SECTIONS)
def test_chromium(section: str) -> None:
    from tests.browser import Browser, ChromiumNotFound

    patterns = section_patterns("chromium", section)
    page = clients.BROWSER_PAGE.replace("IDLE_MS", str(int(clients.IDLE * 1000)))
    handler = type("Page", (_Page,), {"page": page.encode()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with fuzzing_server(patterns) as (url, report):
            try:
                browser = Browser()
            except ChromiumNotFound as exc:
                pytest.skip(str(exc))
            with browser:
                browser.navigate(f"http://127.0.0.1:{httpd.server_address[1]}/")
                browser.evaluate(f"window.start({url!r}, 'chromium'), true")
                deadline = unit(240)
                waited = 0.0
                while not browser.evaluate("window.driver.done"):
                    assert waited < deadline, "the page's driver loop did not finish"
                    threading.Event().wait(0.2)
                    waited += 0.2
                count = int(browser.evaluate("window.driver.count"))
        check("chromium", "chromium", report, count, patterns)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_every_deviation_names_catalog_cases_once() -> None:
    known = {case.id for case in catalog.select()}
    for client, deviations in EXPECTED.items():
        listed = [case_id for ids, _want, _why in deviations for case_id in ids]
        assert set(listed) <= known, (client, set(listed) - known)
        assert len(listed) == len(set(listed)), client
