"""The opening-handshake families against real third-party peers.

``hs`` runs against the ``websockets`` and ``aiohttp`` echo servers
(:mod:`tests.peers.third_party`), ``hc`` against four real clients driven through the
fuzzing server: ``websockets``' sync client, ``websocket-client``, ``aiohttp``'s client
and Node's ``ws`` (when ``npm ci`` installed it). Every case is OK unless the tables
below list it, each entry with what the library does and the RFC sentence that makes it
a deviation (versions as pinned in pyproject.toml's dev extras: websockets 17.4, aiohttp
3.14, websocket-client 1.8; ``ws`` as tests/clients/node/package-lock.json pins it).

The client drivers are Autobahn's loop, written so that a refused handshake ends the
case and the loop goes on (that is what a client must do in most ``hc`` cases).
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from tests import clients
from tests.integration.harness.test_real_clients import fuzzing_server
from tests.peers.running import AGENT, run, run_cases_at
from tests.peers.third_party import third_party_server
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.report.model import Report

OK, NS, FAILED = ("OK", "OK"), ("NON-STRICT", "OK"), ("FAILED", "OK")
Verdicts = tuple[str, str]

_NO_VERSION_HEADER = (
    "refuses another version with 400 but no Sec-WebSocket-Version header; RFC 6455 "
    'section 4.4: the server MUST send one "indicating the version(s) the server is '
    'capable of understanding"'
)

#: Server -> case -> (the verdicts it gets, why).
SERVER_DEVIATIONS: dict[str, dict[str, tuple[Verdicts, str]]] = {
    "websockets": {
        "hs.1.3": (
            NS,
            "answers HTTP/1.0 with 505 HTTP Version Not Supported, a 5xx; RFC 9110 section "
            "15.6.6 keeps 505 for a major version the server does not support, and 1.0 "
            "shares 1.1's",
        ),
        "hs.2.1": (FAILED, "accepts a request without Host (RFC 9112 section 3.2: 400)"),
        "hs.2.2": (FAILED, "accepts two Host lines (RFC 9112 section 3.2: 400)"),
        **dict.fromkeys(["hs.4.2", "hs.4.3", "hs.4.4", "hs.4.5"], (FAILED, _NO_VERSION_HEADER)),
        "hs.5.6": (
            FAILED,
            "closes TCP without an answer on a space before a header's colon; RFC 9112 "
            "section 5.1: the server MUST reject it with 400",
        ),
    },
    "aiohttp": {
        "hs.1.3": (FAILED, "accepts HTTP/1.0 (RFC 6455 section 4.2.1: HTTP/1.1 or higher)"),
        "hs.3.6": (FAILED, "accepts two Sec-WebSocket-Key lines (RFC 6455 section 11.3.1)"),
        "hs.4.2": (
            FAILED,
            "accepts Sec-WebSocket-Version 8 (it also speaks the hybi drafts), where RFC "
            "6455 section 4.2.1 asks for 13",
        ),
        **dict.fromkeys(["hs.4.3", "hs.4.4", "hs.4.5"], (FAILED, _NO_VERSION_HEADER)),
        "hs.4.6": (FAILED, "accepts two Sec-WebSocket-Version lines (RFC 6455 section 11.3.5)"),
        # RFC 7692 section 5: the server "MUST decline" an offer with an invalid value or
        # a duplicated parameter; aiohttp accepts these (it declines 8.11, 8.12, 8.16
        # and 8.18).
        "hs.8.13": (FAILED, "accepts client_max_window_bits=16, answering without it"),
        "hs.8.14": (FAILED, "accepts server_max_window_bits with no value"),
        "hs.8.15": (FAILED, "reads server_max_window_bits=010 as 10 (leading zeroes are invalid)"),
        "hs.8.17": (FAILED, "accepts server_no_context_takeover given twice"),
    },
}  # fmt: skip


def _server_report(library: str) -> Report:
    async def main() -> Report:
        with third_party_server(library) as url:
            return await run_cases_at(url, [case.id for case in catalog.select(["hs.*"])])

    return run(main(), unit(120))


def _mismatches(found: Mapping[str, Verdicts], expected: Mapping[str, Verdicts]) -> list[str]:
    return [
        f"{case_id}: {found.get(case_id)}, expected {verdicts}"
        for case_id, verdicts in expected.items()
        if found.get(case_id) != verdicts
    ] + [f"{case_id}: not expected" for case_id in sorted(set(found) - set(expected))]


@pytest.mark.parametrize("library", sorted(SERVER_DEVIATIONS))
def test_hs_against_a_real_server(library: str) -> None:
    report = _server_report(library)
    assert not report.errors, report.errors
    found = {
        r.case_id: (str(r.verdicts.behavior), str(r.verdicts.behavior_close))
        for r in report.results(AGENT)
    }
    deviations = SERVER_DEVIATIONS[library]
    expected = {
        case.id: deviations[case.id][0] if case.id in deviations else OK
        for case in catalog.select(["hs.*"])
    }
    assert _mismatches(found, expected) == []


# --- clients ------------------------------------------------------------------------

IDLE = unit(10)


def _url(base: str, path: str, **params: str | int) -> str:
    return f"{base}/{path}?{urllib.parse.urlencode(params)}"


def _websockets(base: str, agent: str, count: int) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidHandshake
    from websockets.sync.client import connect

    options: dict[str, Any] = {"max_size": None, "open_timeout": IDLE, "close_timeout": unit(2)}
    for case in range(1, count + 1):
        url = _url(base, "runCase", case=case, agent=agent)
        # OSError: hc.1.2's redirect is followed to a port where nothing listens.
        with (
            contextlib.suppress(InvalidHandshake, OSError),
            connect(url, **options) as ws,
            contextlib.suppress(ConnectionClosed, TimeoutError),
        ):
            while True:
                ws.send(ws.recv(timeout=IDLE))


def _websocket_client(base: str, agent: str, count: int) -> None:
    import websocket

    for case in range(1, count + 1):
        try:
            ws = websocket.create_connection(
                _url(base, "runCase", case=case, agent=agent), timeout=IDLE
            )
        except (websocket.WebSocketException, OSError):
            continue
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                ws.send(data, opcode)
        except (websocket.WebSocketException, OSError):
            pass
        finally:
            ws.close(timeout=unit(2))


def _aiohttp(base: str, agent: str, count: int) -> None:
    import aiohttp

    async def main() -> None:
        timeout = aiohttp.ClientWSTimeout(ws_receive=IDLE, ws_close=unit(2))
        # One session for every case, as an application keeps one.
        async with aiohttp.ClientSession() as session:
            for case in range(1, count + 1):
                url = _url(base, "runCase", case=case, agent=agent)
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.ws_connect(url, timeout=timeout) as ws:
                        async for message in ws:
                            if message.type is not aiohttp.WSMsgType.TEXT:
                                break
                            await ws.send_str(message.data)

    asyncio.run(main())


_UNOFFERED = (
    "does not check a Sec-WebSocket-Protocol or Sec-WebSocket-Extensions answer when it "
    "offered none, and opens the connection; RFC 6455 section 4.1: the client MUST fail "
    "the connection on a subprotocol or an extension \"not present in the client's "
    'handshake"'
)
_UNOFFERED_CASES = ["hc.4.1", "hc.4.2", *(f"hc.5.{n}" for n in range(1, 8))]
_KEPT = (
    "refuses a 101 without Upgrade or Connection but keeps the TCP connection in its pool "
    "(the answer looks like a complete keep-alive HTTP response) and sends the next "
    "/runCase request on it; RFC 6455 section 7.1.7: failing the connection closes it"
)
#: The cases whose /runCase request went over the connection aiohttp kept: the tester
#: never saw them as a new request, so they have no result.
_AIOHTTP_LOST = ("hc.2.2", "hc.2.5", "hc.3.1")

#: Client -> case -> (verdicts or None for no result, why).
CLIENT_DEVIATIONS: dict[str, dict[str, tuple[Verdicts | None, str]]] = {
    "websockets": {},
    "node-ws": {},
    "websocket-client": dict.fromkeys(_UNOFFERED_CASES, (FAILED, _UNOFFERED)),
    "aiohttp": {
        **dict.fromkeys(_UNOFFERED_CASES, (FAILED, _UNOFFERED)),
        **dict.fromkeys(["hc.2.1", "hc.2.4", "hc.2.6"], (FAILED, _KEPT)),
        **dict.fromkeys(_AIOHTTP_LOST, (None, _KEPT)),
        "hc.3.4": (
            FAILED,
            "reads the first of two Sec-WebSocket-Accept lines and opens; RFC 6455 section "
            "11.3.3: the header \"MUST NOT appear more than once in an HTTP response\"",
        ),
        "hc.6.4": (
            ("FAILED", "FAILED"),
            "refuses 'Connection: keep-alive, Upgrade' (it compares the whole value with "
            "'upgrade'); RFC 6455 section 4.1 asks only for the token \"Upgrade\"",
        ),
    },
}  # fmt: skip


def _node_ws(base: str, agent: str, count: int) -> None:
    # Its driver (tests/clients/node/driver.js) goes on when a connection fails to open.
    assert clients.run_node_ws(base, agent, unit(120)) == count


DRIVERS: dict[str, Callable[[str, str, int], None]] = {
    "node-ws": _node_ws,
    "websockets": _websockets,
    "websocket-client": _websocket_client,
    "aiohttp": _aiohttp,
}


@pytest.mark.parametrize("client", sorted(CLIENT_DEVIATIONS))
def test_hc_against_a_real_client(client: str) -> None:
    if client == "node-ws" and (why := clients.node_ws_available()) is not None:
        pytest.skip(why)
    cases = catalog.select(["hc.*"])
    with fuzzing_server("hc.*") as (url, report):
        DRIVERS[client](url, "A", len(cases))
    assert not report.errors, report.errors
    found: dict[str, Verdicts] = {
        r.case_id: (str(r.verdicts.behavior), str(r.verdicts.behavior_close))
        for r in report.results("A")
    }
    deviations = CLIENT_DEVIATIONS[client]
    expected = {case.id: deviations[case.id][0] if case.id in deviations else OK for case in cases}
    wanted = {case_id: v for case_id, v in expected.items() if v is not None}
    assert _mismatches(found, wanted) == []
