"""``--docker-image``: a real Docker engine, an image built here, containers removed.

The image (``tests/docker_engine.py``) is built once per session with ``docker
import``. A subset of the catalog runs through ``--docker-image``; a container killed
mid-run is started again and only the case it interrupted is an ERROR; SIGINT removes
the container; a missing image and an unreachable engine are one line and exit 2.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker_engine import IMAGE_PORT, engine, leftover_containers, reference_image
from tests.integration.harness.targets.kill import assert_restarted, run_and_kill
from tests.integration.harness.test_interrupts_and_options import read_until, wsconform
from tests.timing import unit
from wsconform.harness.targets.docker import DockerTarget

pytestmark = pytest.mark.integration

CLI = [sys.executable, "-m", "wsconform.harness.cli"]


@pytest.fixture(scope="session")
def client() -> Any:
    return engine()


@pytest.fixture(scope="session")
def image(client: Any) -> str:
    return reference_image(client)


@pytest.fixture
def run_id(client: Any) -> Iterator[str]:
    run = f"test-{secrets.token_hex(4)}"
    yield run
    left = leftover_containers(client, f"wsconform-{run}")
    for name in left:
        client.containers.get(name).remove(force=True)
    assert not left, f"containers left behind: {left}"


def test_a_subset_through_docker_image(image: str, run_id: str, tmp_path: pathlib.Path) -> None:
    done = wsconform(
        "test-server", "--docker-image", image, "--docker-port", str(IMAGE_PORT),
        "--cases", "1.*,2.*,5.*", "--outdir", str(tmp_path), "--agent", "img",
        "--run-id", run_id, "-q",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["img"]) == 27 + 20
    assert {v["behavior"] for v in index["img"].values()} == {"OK"}
    log = (tmp_path / "img_target.log").read_text()
    assert f"listening on ws://0.0.0.0:{IMAGE_PORT}" in log


def test_a_killed_container_is_restarted_and_its_case_is_an_error(
    client: Any, image: str, run_id: str
) -> None:
    server = DockerTarget(image, port=IMAGE_PORT, run_id=run_id)
    with server:
        first = server.container_id
        assert leftover_containers(client, server.container_name) == [server.container_name]
        report, supervisor, killed, cases = run_and_kill(server, server.kill, unit(30))
        assert server.container_id == first, "the same container is started again"
    assert_restarted(report, supervisor, killed, cases)
    assert "SIGKILL" in supervisor.deaths[0] or "137" in supervisor.deaths[0]


def test_sigint_removes_the_container(image: str, run_id: str, tmp_path: pathlib.Path) -> None:
    process = subprocess.Popen(
        [*CLI, "test-server", "--docker-image", image, "--cases", "9.*", "-j", "1",
         "--outdir", str(tmp_path), "--agent", "img", "--run-id", run_id],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        read_until(process, "[ 1/54]", unit(60))
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=unit(60))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    errors = json.loads((tmp_path / "harness_errors.json").read_text())
    assert any(e["message"].startswith("interrupted by SIGINT") for e in errors)
    # The ``run_id`` fixture fails the test if the container is still there.


def test_a_missing_image_is_one_line_and_exit_2(client: Any, tmp_path: pathlib.Path) -> None:
    done = wsconform("test-server", "--docker-image", "wsconform-no-such:image",
                     "--outdir", str(tmp_path))  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "wsconform test-server: no image 'wsconform-no-such:image' in the Docker engine"
    ]


def test_no_engine_is_one_line_and_exit_2(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    done = subprocess.run(
        [*CLI, "test-server", "--docker-image", "any", "--outdir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=unit(60), check=False,
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("wsconform test-server: no Docker engine is reachable ("), line


def test_a_client_image_runs_against_our_url_and_is_removed(
    client: Any, image: str, run_id: str
) -> None:
    from wsconform.harness.targets.clients import DockerClient

    command = ["/usr/bin/python3.11", "-c", "import sys; print('client for', sys.argv[1])", "{url}"]
    target = DockerClient(image, command=command, run_id=run_id)
    try:
        status = target.run("ws://127.0.0.1:9001/", unit(60))
        assert status == "exit status 0"
        assert target.logs() == "client for ws://127.0.0.1:9001/\n"
    finally:
        target.stop()
    assert not leftover_containers(client, target.container_name)
