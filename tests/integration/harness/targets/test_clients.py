"""Client targets: a command or a container given our server's URL, run to its end,
stopped if late (the whole process group; a container removed)."""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker_engine import engine, leftover_containers, reference_image
from tests.timing import unit
from wsconform.harness.targets.clients import CommandClient, DockerClient
from wsconform.harness.targets.exceptions import TargetStartError

pytestmark = pytest.mark.integration

PRINT = "import os, sys; print(sys.argv[1], os.environ['WSCONFORM_URL']); sys.exit(4)"


def group_gone(pgid: int, timeout: float) -> bool:
    """Whether process group ``pgid`` is empty within ``timeout`` (init reaps the child
    a killed leader left behind a moment later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def docker() -> Any:
    return engine()


@pytest.fixture
def run_id(docker: Any) -> Iterator[str]:
    run = f"test-{secrets.token_hex(4)}"
    yield run
    left = leftover_containers(docker, f"wsconform-{run}")
    for name in left:
        docker.containers.get(name).remove(force=True)
    assert not left, f"containers left behind: {left}"


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


def test_stop_ends_the_whole_group_and_ending_sees_a_closed_pipe() -> None:
    # The leader leaves a child behind that holds the pipe: both go on TERM to the group.
    client = CommandClient(["sh", "-c", "sleep 300 & echo started; wait"], stop_grace=1)
    client.start("ws://127.0.0.1:9001")
    deadline = time.monotonic() + unit(10)
    while "started" not in client.logs() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.alive() and not client.ending()
    assert client.pid is not None
    client.stop()
    assert not client.alive()
    assert client.exit_reason() == "killed by SIGTERM"
    assert group_gone(client.pid, unit(5)), "a process of the group is left"
    client.stop()  # a second stop does nothing


def test_a_killed_client_is_seen_dead() -> None:
    client = CommandClient([sys.executable, "-c", "import time; time.sleep(300)"])
    with client:
        client.start("ws://127.0.0.1:9001")
        client.kill()
        assert client.wait(unit(10))
        assert client.exit_reason() == "killed by SIGKILL"


def test_a_command_that_cannot_start_is_a_start_error() -> None:
    with pytest.raises(TargetStartError, match="cannot be started"):
        CommandClient(["/nonexistent/driver"]).start("ws://127.0.0.1:9001")


def test_a_client_container_runs_with_the_url_and_is_removed(docker: Any, run_id: str) -> None:
    image = reference_image(docker)
    client = DockerClient(
        image,
        command=["/usr/bin/python3.11", "-c", PRINT, "{url}"],
        run_id=run_id,
        stop_grace=1,
    )
    status = client.run("ws://127.0.0.1:9001", unit(30))
    assert status == "exit status 4"
    assert client.logs() == "ws://127.0.0.1:9001 ws://127.0.0.1:9001\n"
    assert leftover_containers(docker, client.container_name) == []
