"""The opening-handshake families against the reference and broken variants of it.

The reference server (both front ends) passes every ``hs`` case and the reference
client (both front ends, through ``test-client``'s fuzzing server) every ``hc`` case;
servers broken in one way each (:mod:`tests.peers.handshake_variants`, real sockets)
get FAILED on the cases about that way, and a server that never answers ends within
the tester's opening handshake timer.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import threading
import time
from collections.abc import Iterator

import pytest

from tests.peers import handshake_variants as variants
from tests.peers.running import AGENT, run, run_cases_at
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.commands.client_conformance import CLIENT_AGENT, run_client_phase
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import RunOptions, Timeouts
from wsconform.reference.protocol.exceptions import ConnectionClosed
from wsconform.reference.sync.server import ServerConnection
from wsconform.reference.sync.server import serve as serve_sync

HS = [case.id for case in catalog.select(["hs.*"])]
HC = catalog.select(["hc.*"])


def _ids(pattern: str) -> list[str]:
    return [case.id for case in catalog.select([pattern])]


def _verdicts(report: Report) -> dict[str, tuple[str, str, str]]:
    assert not report.errors, report.errors
    return {
        r.case_id: (str(r.verdicts.behavior), str(r.verdicts.behavior_close), r.verdicts.result)
        for r in report.results(AGENT)
    }


def _not_ok(report: Report) -> dict[str, tuple[str, str, str]]:
    return {k: v for k, v in _verdicts(report).items() if v[:2] != ("OK", "OK")}


def test_the_families_are_big_enough() -> None:
    assert len(HS) >= 40
    assert len(HC) >= 25


def test_the_reference_server_passes_every_hs_case() -> None:
    async def main() -> Report:
        async with variants.serving() as url:
            return await run_cases_at(url, HS)

    report = run(main(), unit(60))
    assert len(_verdicts(report)) == len(HS)
    assert _not_ok(report) == {}


def test_the_reference_server_choosing_subprotocols_passes_hs_7() -> None:
    # It speaks two subprotocols: it must pick one of those offered, or none.
    async def main() -> Report:
        async with variants.serving(subprotocols=["superchat", "chat"]) as url:
            return await run_cases_at(url, _ids("hs.7.*"))

    report = run(main(), unit(30))
    assert _not_ok(report) == {}


@contextlib.contextmanager
def _sync_server() -> Iterator[str]:
    def echo(ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            for message in ws:
                ws.send(message)

    with serve_sync(echo, "127.0.0.1", 0, ping_interval=None) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}/"
        finally:
            server.shutdown()
            thread.join(unit(10))


def test_the_sync_reference_server_passes_every_hs_case() -> None:
    # Its pipelined-frame cases (hs.6.2, hs.6.3) check that frames that came with the
    # request are read once the 101 is out, not with the next read.
    with _sync_server() as url:
        report = run(run_cases_at(url, HS), unit(60))
    assert _not_ok(report) == {}


@pytest.mark.parametrize("api", ["asyncio", "sync"])
def test_the_reference_client_passes_every_hc_case(api: str, tmp_path: pathlib.Path) -> None:
    status = run_client_phase(HC, tmp_path, RunOptions(), api=api, jobs=4)
    index = json.loads((tmp_path / "index.json").read_text())[CLIENT_AGENT]
    assert sorted(index) == sorted(case.id for case in HC)
    not_ok = {k: v["behavior"] for k, v in index.items() if v["behavior"] != "OK"}
    assert not_ok == {}
    assert status == 0


def test_a_server_choosing_an_unoffered_subprotocol_fails_hs_7() -> None:
    async def main() -> Report:
        async with variants.serving(variants.unoffered_subprotocol) as url:
            return await run_cases_at(url, _ids("hs.7.*"))

    report = run(main(), unit(30))
    found = _verdicts(report)
    assert {k: v[:2] for k, v in found.items()} == dict.fromkeys(
        _ids("hs.7.*"), ("FAILED", "FAILED")
    )
    for _behavior, _close, result in found.values():
        assert "answered 101, but its response breaks RFC 6455 section 4" in result
        assert variants.UNOFFERED in result


def test_a_server_answering_larger_window_bits_fails_the_window_cases() -> None:
    window_cases = ["hs.8.8", "hs.8.9", "hs.8.10", "hs.8.20"]

    async def main() -> Report:
        async with variants.serving(variants.larger_window_bits) as url:
            return await run_cases_at(url, [*window_cases, "hs.8.3"])

    report = run(main(), unit(30))
    found = _verdicts(report)
    for case_id in window_cases:
        behavior, _close, result = found[case_id]
        assert behavior == "FAILED", (case_id, result)
        assert "server_max_window_bits=15, above the" in result
    # An offer without the parameter leaves the server free to name any window.
    assert found["hs.8.3"][:2] == ("OK", "OK")


def test_a_server_that_never_answers_fails_within_the_opening_timer() -> None:
    cases = ["hs.5.7", "hs.5.8", "hs.2.1"]

    async def main() -> Report:
        async with variants.never_answering() as url:
            timeouts = Timeouts(open_handshake=unit(1))
            return await run_cases_at(url, cases, timeouts=timeouts)

    begin = time.monotonic()
    report = run(main(), unit(30))
    assert time.monotonic() - begin < unit(10)
    for case_id, (behavior, _close, result) in _verdicts(report).items():
        assert behavior == "FAILED", case_id
        assert result.startswith("The server did not answer the request"), result
