"""wsconform's ``fr`` and ``cl`` families against real third-party clients.

As tests/integration/harness/test_real_clients.py does for Autobahn's catalog: each item
serves one family's client cases (``fr.3`` is about servers) from an in-process fuzzing
server and runs one client's driver loop (:mod:`tests.clients`) over real sockets; every
case must be OK unless the client's table lists it, with the library's behaviour that
earns the verdict.
"""

from __future__ import annotations

import pytest

from tests.integration.harness.test_real_clients import DRIVERS, fuzzing_server
from wsconform.cases import catalog
from wsconform.harness.report.model import Report

#: The client cases of each family, as patterns the fuzzing server selects.
PATTERNS = {"fr": "fr.1.*,fr.2.*,fr.4.*,fr.5.*,fr.6.*", "cl": "cl.*"}

Verdicts = tuple[str, str]

#: Client -> case id -> the (behavior, behaviorClose) pairs allowed, and why.
DEVIATIONS: dict[str, dict[str, tuple[frozenset[Verdicts], str]]] = {}

OK, NS, FAILED, WRONG_CODE = "OK", "NON-STRICT", "FAILED", "WRONG CODE"


def _deviate(client: str, ids: str, allowed: set[Verdicts], why: str) -> None:
    for case_id in ids.split():
        assert case_id not in DEVIATIONS.setdefault(client, {}), (client, case_id)
        DEVIATIONS[client][case_id] = (frozenset(allowed), why)


_NON_MINIMAL = "fr.1.1 fr.1.2 fr.1.3 fr.1.4 fr.1.5 fr.1.6"
_TOP_BIT = "fr.2.1 fr.2.2 fr.2.3"
_MASKED = "fr.4.1 fr.4.2 fr.4.3 fr.4.4 fr.4.6 fr.4.7 fr.4.8"
_ACCEPTS_NON_MINIMAL = (
    "reads a 16- or 64-bit length without checking that it is minimal and answers the "
    "frame; RFC 6455 section 5.2 binds the sender only, so fr.1 tolerates it (NON-STRICT)"
)
_WAITS_FOR_TOP_BIT = (
    "with no message size limit (as the driver connects, for section 9's 16 MiB) reads "
    "a 64-bit length with the top bit set as a length and waits for that payload; RFC "
    '6455 section 5.2: "the most significant bit MUST be 0", so the tester gives up '
    "and closes itself (close verdict FAILED)"
)
_UNDEFINED_CODES = (
    "accepts close codes of 5000 and above and answers with 1000; RFC 6455 section "
    "7.4.2 defines no range there (Autobahn's 7.13 calls them undefined): NON-STRICT"
)
_UNCHECKED_MASK = (
    "never checks the MASK bit of a server's frame (it unmasks when the bit is set), so "
    "it takes masked frames as valid and echoes them, and the tester closes itself; RFC "
    '6455 section 5.1: "A client MUST close a connection if it detects a masked frame"'
)

_deviate("websockets", f"{_NON_MINIMAL} fr.1.7", {(NS, OK)}, f"websockets {_ACCEPTS_NON_MINIMAL}")
_deviate("websockets", _TOP_BIT, {(OK, FAILED)}, f"websockets {_WAITS_FOR_TOP_BIT}")
_deviate(
    "websockets",
    "fr.4.6",
    {(OK, OK), (NS, OK)},
    "websockets fails the connection at the masked frame while its application may not "
    "have echoed the valid message before it yet: both answers the case allows",
)
_deviate(
    "websocket-client", f"{_NON_MINIMAL} fr.1.7", {(NS, OK)},
    f"websocket-client {_ACCEPTS_NON_MINIMAL}",
)  # fmt: skip
_deviate("websocket-client", _TOP_BIT, {(OK, FAILED)}, f"websocket-client {_WAITS_FOR_TOP_BIT}")
_deviate("websocket-client", _MASKED, {(FAILED, FAILED)}, f"websocket-client {_UNCHECKED_MASK}")
_deviate(
    "websocket-client",
    "fr.4.5 fr.5.7 cl.2.1 cl.2.2 cl.2.3 cl.2.4 cl.2.5 cl.2.6 cl.4.1 cl.4.2 cl.4.3 cl.4.5",
    {(OK, WRONG_CODE), (FAILED, WRONG_CODE)},
    "websocket-client hands a close frame (masked or not, any code, a 1-byte body, a "
    "fragmented one, a reason that is not UTF-8) or a protocol error to the application "
    "without a close frame of its own, and close() then sends 1000, where RFC 6455 "
    "sections 5.5, 7.4.1 and 7.4.2 make each a protocol error (1002)",
)
_deviate(
    "websocket-client",
    "cl.3.1 cl.3.2 cl.3.3 cl.3.4",
    {(NS, OK)},
    f"websocket-client {_UNDEFINED_CODES}",
)
_deviate("aiohttp", _NON_MINIMAL, {(NS, OK)}, f"aiohttp {_ACCEPTS_NON_MINIMAL}")
# fr.1.7 is OK for aiohttp, for another reason: it takes the 7-bit field's 126 (the
# 16-bit form's marker) for the ping's length and refuses a control frame over 125 bytes.
_deviate(
    "aiohttp",
    _TOP_BIT,
    {(NS, OK)},
    "aiohttp compares a declared length with its hard limit (MAX_PAYLOAD_LEN) and "
    "refuses a top-bit length with 1009 rather than 1002: tolerated (NON-STRICT)",
)
_deviate(
    "aiohttp",
    f"{_MASKED} fr.4.5",
    {(FAILED, FAILED), (FAILED, WRONG_CODE)},
    f"aiohttp {_UNCHECKED_MASK}",
)
_deviate("aiohttp", "cl.3.1 cl.3.2 cl.3.3 cl.3.4", {(NS, OK)}, f"aiohttp {_UNDEFINED_CODES}")
_deviate("node-ws", _NON_MINIMAL, {(NS, OK)}, f"ws {_ACCEPTS_NON_MINIMAL}")
# fr.1.7 is OK for ws as for aiohttp: the 7-bit field's 126 is refused for a control frame.
_deviate(
    "node-ws",
    _TOP_BIT,
    {(NS, OK)},
    "ws refuses a payload length over 2^53 - 1 (what a JavaScript number holds exactly) "
    "with 1009 rather than 1002: tolerated (NON-STRICT)",
)


def check(client: str, report: Report, count: int, patterns: str) -> None:
    cases = catalog.select(patterns.split(","), target="client")
    results = {result.case_id: result for result in report.results(client)}
    assert count == len(cases) == len(results)
    table = DEVIATIONS.get(client, {})
    wrong = []
    for case in cases:
        result = results[case.id]
        verdicts = (str(result.verdicts.behavior), str(result.verdicts.behavior_close))
        allowed = table.get(case.id, (frozenset({(OK, OK)}), ""))[0]
        if verdicts not in allowed:
            why = f"{result.verdicts.result} / {result.verdicts.result_close}"
            wrong.append(f"{case.id}: {verdicts}: {why}")
    assert not wrong, "\n".join(wrong)


def test_every_deviation_names_a_client_case() -> None:
    client_cases = {case.id for case in catalog.select(["fr.*", "cl.*"], target="client")}
    for client, table in DEVIATIONS.items():
        assert client in DRIVERS
        assert set(table) <= client_cases, client


ITEMS = [(client, family) for client in DRIVERS for family in PATTERNS]


@pytest.mark.parametrize(("client", "family"), ITEMS)
def test_family_against_library_client(client: str, family: str) -> None:
    from tests import clients

    if client == "node-ws" and (missing := clients.node_ws_available()) is not None:
        pytest.skip(missing)
    patterns = PATTERNS[family]
    with fuzzing_server(patterns) as (url, report):
        count = DRIVERS[client](url, client)
    check(client, report, count, patterns)
