"""The runner's hooks for the handshake cases, and the cases run sans-I/O in memory.

:mod:`tests.harness.wire.loopback` joins the tester and the reference core on a fake
clock: every ``hs`` case is OK with the tester as client against the reference server
core, every ``hc`` case OK with the tester as server against the reference client core;
a server core that names an unoffered subprotocol fails ``hs.7``.
"""

from __future__ import annotations

import pytest

from tests.harness.wire.loopback import URI, run_case
from wsconform.cases import catalog
from wsconform.cases.handshake import ServerHandshakeCase
from wsconform.cases.model import Case
from wsconform.harness.runner import handshake_cases
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.handshake import ServerSettings
from wsconform.reference.protocol.http import Request, Response
from wsconform.reference.protocol.server import ServerProtocol


def test_exports() -> None:
    for name in handshake_cases.__all__:
        assert hasattr(handshake_cases, name)


def test_other_cases_keep_their_settings() -> None:
    case = catalog.get("1.1.1")
    assert handshake_cases.request_settings(case, URI) is None
    default = ServerSettings()
    assert handshake_cases.server_settings(case, default) is default


def test_a_server_case_sends_its_request_as_written() -> None:
    case = catalog.get("hs.7.4")  # two subprotocols on two lines
    settings = handshake_cases.request_settings(case, URI)
    assert settings is not None
    raw = settings.raw_request
    assert raw is not None
    assert raw.startswith(
        b"GET /runCase?case=1&agent=loopback HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"
    )
    assert raw.endswith(
        b"Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat\r\n\r\n"
    )
    assert b"{key}" not in raw
    assert settings.protocols == ("chat", "superchat")
    assert settings.extensions is None
    chopped = handshake_cases.request_settings(catalog.get("hs.6.1"), URI)
    assert chopped is not None and chopped.chopsize == 1


def test_a_client_case_answers_with_its_response() -> None:
    case = catalog.get("hc.3.2")
    settings = handshake_cases.server_settings(case, ServerSettings())
    assert settings.response is not None
    assert settings.deflate is None


HS = catalog.select(["hs.*"])
HC = catalog.select(["hc.*"])


def test_every_hs_case_passes_against_the_reference_server_core() -> None:
    verdicts = {}
    for case in HS:
        result, link = run_case(case, tester.CLIENT)
        assert link.lost
        verdicts[case.id] = (str(result.verdicts.behavior), result.verdicts.result)
    assert {k: v for k, v in verdicts.items() if v[0] != "OK"} == {}


def test_every_hc_case_passes_against_the_reference_client_core() -> None:
    verdicts = {}
    for case in HC:
        result, link = run_case(case, tester.SERVER)
        assert link.lost
        verdicts[case.id] = (str(result.verdicts.behavior), result.verdicts.result)
    assert {k: v for k, v in verdicts.items() if v[0] != "OK"} == {}


def test_the_request_goes_out_one_byte_per_write() -> None:
    case = catalog.get("hs.6.1")
    assert isinstance(case, ServerHandshakeCase) and case.request.chopsize == 1
    _result, link = run_case(case, tester.CLIENT)
    head = [w for w in link.trace if w[0] != "turn"][:40]
    assert {size for _mode, size in head} == {1}
    assert {mode for mode, _size in head} == {"CHOP"}


class _UnofferedSubprotocol(ServerProtocol):
    def accept(self, request: Request) -> Response:
        response = super().accept(request)
        if response.status_code == 101:
            response.headers["Sec-WebSocket-Protocol"] = "nobody-offered-this"
        return response


@pytest.mark.parametrize("case", catalog.select(["hs.7.*"]), ids=lambda case: case.id)
def test_an_unoffered_subprotocol_fails(case: Case) -> None:
    result, _link = run_case(case, tester.CLIENT, peer=_UnofferedSubprotocol)
    assert str(result.verdicts.behavior) == "FAILED"
    assert "nobody-offered-this" in result.verdicts.result
