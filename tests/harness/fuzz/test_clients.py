"""The slots that hand conversations to client connections (no socket here; the
network side is tests/integration/harness/fuzz/test_clients.py)."""

from __future__ import annotations

import asyncio

import pytest

from wsconform.harness.fuzz import clients
from wsconform.harness.fuzz.clients import ClientSlots
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.runner import FuzzSettings, case_of
from wsconform.harness.wire import connection as wire
from wsconform.harness.wire.exceptions import ConnectError
from wsconform.harness.wire.frame import WireFrame
from wsconform.harness.wire.server import Rejection
from wsconform.reference.protocol.headers import Headers
from wsconform.reference.protocol.http import Request

REQUEST = Request("/", Headers())


def test_the_exports_exist() -> None:
    for name in clients.__all__:
        assert hasattr(clients, name), name


def test_a_request_with_no_conversation_ready_gets_503() -> None:
    routed = ClientSlots().route(REQUEST)
    assert isinstance(routed, Rejection) and routed.status == 503


def test_a_waiting_case_takes_the_next_request_and_waits_no_longer() -> None:
    case, _prediction = case_of(Conversation((Send(WireFrame(2)),)), target="client")

    async def scenario() -> tuple[object, object]:
        slots = ClientSlots("ws://127.0.0.1:9/")
        waiting = asyncio.ensure_future(
            slots.run(case, agent="a", settings=FuzzSettings(masked=False), wait=0.2)
        )
        await asyncio.sleep(0)
        routed = slots.route(REQUEST)
        second = slots.route(REQUEST)
        waiting.cancel()
        return routed, second

    routed, second = asyncio.run(scenario())
    assert isinstance(routed, wire.TesterConnection)
    assert isinstance(second, Rejection)


def test_no_client_in_time_is_a_connect_error() -> None:
    case, _prediction = case_of(Conversation((Send(WireFrame(2)),)), target="client")

    async def scenario() -> None:
        slots = ClientSlots("ws://127.0.0.1:9/")
        await slots.run(case, agent="a", settings=FuzzSettings(masked=False), wait=0.05)

    with pytest.raises(ConnectError, match=r"no client connected within 0\.05 s"):
        asyncio.run(scenario())
