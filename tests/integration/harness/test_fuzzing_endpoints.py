"""The fuzzing server's endpoints over real sockets, with the ``websockets`` client."""

from __future__ import annotations

import json
import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.integration.harness.test_real_clients import fuzzing_server
from tests.timing import unit


def test_count_info_and_a_status_that_waits_for_its_case() -> None:
    with fuzzing_server("1.1.1,2.2") as (url, report):
        with connect(f"{url}/getCaseCount") as ws:
            assert ws.recv(timeout=unit(5)) == "2"
        with connect(f"{url}/getCaseInfo?case=2") as ws:
            info = json.loads(ws.recv(timeout=unit(5)))
        assert info["id"] == "2.2" and info["description"]
        waited: list[str | bytes] = []

        def status() -> None:
            with connect(f"{url}/getCaseStatus?case=2&agent=a") as ws:
                waited.append(ws.recv(timeout=unit(20)))

        thread = threading.Thread(target=status)
        thread.start()
        with connect(f"{url}/runCase?case=2&agent=a") as ws:
            try:
                while True:
                    ws.send(ws.recv(timeout=unit(10)))
            except ConnectionClosed:
                pass
        thread.join(unit(20))
        assert waited == ['{"behavior": "OK"}']
        with connect(f"{url}/getCaseStatus?case=2&agent=a") as ws:
            assert json.loads(ws.recv(timeout=unit(5))) == {"behavior": "OK"}
        [result] = report.results("a")
        assert result.case_id == "2.2" and result.run_index == 2
