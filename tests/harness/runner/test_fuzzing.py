"""The fuzzing server's routing of upgrade requests (no sockets: :meth:`route` alone)."""

from __future__ import annotations

import asyncio

import pytest

from wsconform.cases import catalog
from wsconform.harness.record.observation import Observation
from wsconform.harness.runner.config import RunOptions
from wsconform.harness.runner.fuzzing import FuzzingServer
from wsconform.harness.wire import connection as wire
from wsconform.harness.wire.connection import SERVER
from wsconform.harness.wire.server import Rejection
from wsconform.reference.protocol.headers import Headers
from wsconform.reference.protocol.http import Request


def route(path: str, *, jobs: int = 4) -> wire.TesterConnection | Rejection:
    async def main() -> wire.TesterConnection | Rejection:
        server = FuzzingServer(
            catalog.select(["1.1.*"]), options=RunOptions(), update_reports=lambda _a: None,
            jobs=jobs,
        )  # fmt: skip
        routed = server.route(Request(path, Headers()))
        for task in server.running:
            task.cancel()
        return routed

    return asyncio.run(main())


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/", 404, "unknown endpoint '/'"),
        ("/stopServer", 404, "the endpoints are /getCaseCount"),
        ("/runCase?agent=a", 400, "need case parameter"),
        ("/runCase?case=x&agent=a", 400, "invalid case number 'x'"),
        ("/runCase?case=0&agent=a", 400, "case 0 not found: cases are 1..8"),
        ("/runCase?case=9&agent=a", 400, "case 9 not found"),
        ("/runCase?case=1", 400, "need agent parameter"),
        ("/runCase?case=1&agent=", 400, "need agent parameter"),
        ("/runCase?case=1&case=2&agent=a", 400, "case given 2 times"),
        ("/getCaseInfo", 400, "need case parameter"),
        ("/getCaseStatus?case=1", 400, "need agent parameter"),
        ("/updateReports", 400, "need agent parameter"),
    ],
)
def test_bad_requests_get_a_reason(path: str, status: int, words: str) -> None:
    routed = route(path)
    assert isinstance(routed, Rejection)
    assert routed.status == status
    assert words in routed.reason


@pytest.mark.parametrize(
    "path",
    [
        "/getCaseCount",
        "/getCaseInfo?case=8",
        "/runCase?case=1&agent=a%20b",
        "/getCaseStatus?case=1&agent=a",
        "/updateReports?agent=a",
    ],
)
def test_endpoints_get_a_server_role_connection(path: str) -> None:
    routed = route(path)
    assert isinstance(routed, wire.TesterConnection)
    assert routed.role is SERVER


def test_more_cases_than_jobs_are_answered_503() -> None:
    async def main() -> list[wire.TesterConnection | Rejection]:
        server = FuzzingServer(
            catalog.select(["1.1.*"]), options=RunOptions(), update_reports=lambda _a: None,
            jobs=1,
        )  # fmt: skip
        routed = [server.route(Request(f"/runCase?case={n}&agent=a", Headers())) for n in (1, 2)]
        for task in server.running:
            task.cancel()
        return routed

    first, second = asyncio.run(main())
    assert isinstance(first, wire.TesterConnection)
    assert isinstance(second, Rejection) and second.status == 503


def test_jobs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        FuzzingServer([], options=RunOptions(), update_reports=lambda _a: None, jobs=0)


def test_observation_of_a_control_connection_is_server_side() -> None:
    assert Observation().is_server is False
    routed = route("/getCaseCount")
    assert isinstance(routed, wire.TesterConnection) and routed.obs.is_server
