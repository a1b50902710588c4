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
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.data import testdata_loader
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.wire.server import serve

#: The sections every client runs, and the deflate subset one client runs.
SECTIONS = ("1", "2", "3", "4", "5", "6", "7", "9", "10")
DEFLATE = {"websockets": ("12.1.1,12.1.2,12.2.1,12.4.1", "13.1.1,13.3.1,13.5.1,13.7.1")}

#: How long one section may take for one client.
SECTION_TIMEOUT = unit(240)

#: Deviations from OK per client: case pattern -> ((behavior, behaviorClose), why).
EXPECTED: dict[str, dict[str, tuple[tuple[str, str], str]]] = {
    "websockets": {},
    "websocket-client": {},
    "aiohttp": {},
    "node-ws": {},
    "chromium": {},
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
            options=RunOptions(testdata=testdata_loader()),
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
        expected = next(
            (
                want
                for pattern, (want, _why) in deviations.items()
                if catalog.matches(pattern, case.id)
            ),
            None,
        )
        if expected is None:
            if result.outcome > expected_outcome(case):
                why = f"{result.verdicts.result} / {result.verdicts.result_close}"
                wrong.append(f"{case.id}: {verdicts}: {why}")
        elif verdicts != expected:
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

ITEMS = [
    *((client, f"{section}.*") for client in DRIVERS for section in SECTIONS),
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

    patterns = f"{section}.*"
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
