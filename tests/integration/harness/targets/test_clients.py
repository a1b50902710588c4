"""Client targets: a command given our server's URL, run to its end, stopped if late."""

from __future__ import annotations

import sys
import time

import pytest

from tests.timing import unit
from wsconform.harness.targets.clients import CommandClient

pytestmark = pytest.mark.integration

PRINT = "import os, sys; print(sys.argv[1], os.environ['WSCONFORM_URL']); sys.exit(4)"


def test_a_client_command_gets_the_url_and_its_status_is_kept() -> None:
    client = CommandClient([sys.executable, "-c", PRINT, "{url}"])
    status = client.run("ws://127.0.0.1:9001", unit(30))
    client.stop()
    assert status == "exit status 4"
    assert client.logs() == "ws://127.0.0.1:9001 ws://127.0.0.1:9001\n"


def test_a_client_that_runs_too_long_is_stopped() -> None:
    client = CommandClient([sys.executable, "-c", "import time; time.sleep(300)"], stop_grace=1)
    begin = time.monotonic()
    status = client.run("ws://127.0.0.1:9001", 0.5)
    assert status == "still running after 0.5 s: stopped"
    assert time.monotonic() - begin < unit(10)
