"""``test-client --client-image``: the client's driver in a container, on a real engine.

The image (``tests/docker_engine.py``) holds the reference client; the container shares
the host's network and reaches our server on 127.0.0.1. A container that exits before
``/updateReports`` has its cases reported as not run; SIGINT stops it; every container
is removed (the ``run_id`` fixture fails a test that leaves one); a missing image is one
line and exit 2. Skipped without an engine unless ``WSCONFORM_REQUIRE_DOCKER=1``.
"""

from __future__ import annotations

import json
import pathlib
import secrets
import shlex
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker_engine import engine, leftover_containers, reference_image
from tests.integration.harness.test_interrupts_and_options import read_until
from tests.integration.harness.test_started_clients import CLI, ROOT, errors, run_client
from tests.timing import unit

pytestmark = pytest.mark.integration

#: A "driver" that prints the URL and exits with status 3.
EXIT_3 = "import sys; print(sys.argv[1]); sys.exit(3)"


@pytest.fixture(scope="module")
def docker() -> Any:
    return engine()


@pytest.fixture(scope="module")
def image(docker: Any) -> str:
    return reference_image(docker)


@pytest.fixture
def run_id(docker: Any) -> Iterator[str]:
    run = f"test-{secrets.token_hex(4)}"
    yield run
    left = leftover_containers(docker, f"wsconform-{run}")
    for name in left:
        docker.containers.get(name).remove(force=True)
    assert not left, f"containers left behind: {left}"


def test_a_client_image_runs_the_reference_client(
    image: str, run_id: str, tmp_path: pathlib.Path
) -> None:
    # The container shares the host's network: it reaches our server on 127.0.0.1.
    done = run_client(
        "--client-image", image, "--run-id", run_id, "--cases", "1.1.*,2.*",
        "--client-command", "/usr/bin/python3.11 /app/serve.py reference-client {url} --agent img",
        "--outdir", str(tmp_path), "-q",
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout, done.stderr)
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["img"]) == 8 + 11
    assert {entry["behavior"] for entry in index["img"].values()} == {"OK"}
    assert "case 19/19: closed with 1000" in (tmp_path / "img_target.log").read_text()
    # The ``run_id`` fixture fails the test if the container is still there.


def test_a_client_container_that_dies_is_removed_and_its_cases_reported(
    image: str, run_id: str, tmp_path: pathlib.Path
) -> None:
    done = run_client(
        "--client-image", image, "--run-id", run_id, "--cases", "1.1.*", "--agent", "gone",
        "--client-command", f"/usr/bin/python3.11 -c {shlex.quote(EXIT_3)} {{url}}",
        "--outdir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    by_case = {e["case"]: e["message"] for e in errors(tmp_path)}
    assert "ended (exit status 3) before /updateReports: 8 of 8 cases not run" in by_case[None]
    assert (tmp_path / "gone_target.log").read_text().startswith("ws://127.0.0.1:")


def test_a_missing_client_image_is_one_line_and_exit_2(docker: Any, tmp_path: pathlib.Path) -> None:
    done = run_client("--client-image", "wsconform-no-such:image", "--outdir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "wsconform test-client: no image 'wsconform-no-such:image' in the Docker engine"
    )


def test_sigint_removes_the_client_container(
    docker: Any, image: str, run_id: str, tmp_path: pathlib.Path
) -> None:
    sleeper = "import time; print('up', flush=True); time.sleep(300)"
    process = subprocess.Popen(
        [*CLI, "test-client", "--client-image", image, "--run-id", run_id, "--cases", "1.1.1",
         "--client-command", f"/usr/bin/python3.11 -c {shlex.quote(sleeper)}",
         "--stop-grace", "1", "--agent", "boxed", "--outdir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        read_until(process, "wsconform test-client: 1 cases at ws://", unit(30))
        deadline = time.monotonic() + unit(30)
        while time.monotonic() < deadline:
            running = docker.containers.list(filters={"name": f"wsconform-{run_id}"})
            if running and "up" in running[0].logs().decode():
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the client container did not start")
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    messages = [e["message"] for e in errors(tmp_path)]
    assert any(m.startswith("interrupted by SIGINT: partial report") for m in messages)
    assert (tmp_path / "boxed_target.log").read_text() == "up\n"
    # The ``run_id`` fixture fails the test if the container is still there.


def test_no_engine_is_one_line_and_exit_2(tmp_path: pathlib.Path) -> None:
    done = run_client(
        "--client-image", "any", "--outdir", str(tmp_path),
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )  # fmt: skip
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("wsconform test-client: no Docker engine is reachable ("), line
