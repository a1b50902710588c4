"""The pytest plugin as a user runs it: ``pytest --wsconform-target URL`` in its own
process, in an empty folder (no test file of the user's), with and without xdist.

Targets: the reference server (``wsconform reference-server`` in a subprocess) and a
known-broken peer (:class:`tests.peers.WrongPongPeer`, whose pongs carry the wrong
payload) served from a thread. The tests check the items and their ids, the failing
item's message (reason, wire log, replay command), the harness error of an unreachable
target, that ONE report is written, by the controller, whatever the workers, and
that the fuzz item runs the network fuzzer (or says that it is not installed), and
that its finding is saved to the corpus so that the replay command it prints works.
"""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from tests.integration.harness.fuzz.variants import Echo1005Peer
from tests.peers import WrongPongPeer, serve_peer
from tests.peers.running import in_thread
from tests.timing import unit
from wsconform.harness.commands.conformance import reference_server
from wsconform.harness.fuzz.corpus import ENV_VAR, load_dir
from wsconform.harness.pytest_plugin import FuzzItem

CASES = "1.1.1,2.3,6.4.1"


@pytest.fixture(scope="module")
def reference_url() -> Iterator[str]:
    with reference_server() as url:
        yield url


def run_pytest(
    folder: pathlib.Path, *args: str, profile: str = "dev"
) -> subprocess.CompletedProcess[str]:
    """``pytest`` in ``folder`` (empty but for what the test puts there)."""
    env = dict(os.environ, WSCONFORM_HYPOTHESIS_PROFILE=profile)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=unit(120),
        check=False,
    )


def index(outdir: pathlib.Path) -> dict[str, dict[str, dict[str, object]]]:
    data = json.loads((outdir / "index.json").read_text())
    assert isinstance(data, dict)
    return data


def test_cases_are_items_in_an_empty_folder(reference_url: str, tmp_path: pathlib.Path) -> None:
    outdir = tmp_path / "out"
    proc = run_pytest(
        tmp_path,
        "--wsconform-target",
        reference_url,
        "--wsconform-cases",
        CASES,
        "--wsconform-agent",
        "reference",
        "--wsconform-outdir",
        str(outdir),
        "--wsconform-fuzz-examples",
        "0",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for case_id in CASES.split(","):
        assert f"PASSED wsconform::test_case[{case_id}]" in proc.stdout
    assert "test_fuzz" not in proc.stdout
    assert "3 passed in" in proc.stdout
    assert f"wsconform: report written to {outdir}/" in proc.stdout
    # One report of the three cases, whichever process ran each.
    agents = index(outdir)
    assert list(agents) == ["reference"]
    assert sorted(agents["reference"]) == sorted(CASES.split(","))
    assert {entry["behavior"] for entry in agents["reference"].values()} == {"OK"}
    suite = ET.parse(outdir / "junit.xml").getroot()
    assert len(suite.findall(".//testcase")) == 3
    assert len(list(outdir.glob("reference_case_*.json"))) == 3


def test_the_fuzz_item_runs_the_network_fuzzer_or_says_it_is_missing(
    reference_url: str, tmp_path: pathlib.Path
) -> None:
    proc = run_pytest(
        tmp_path,
        "--wsconform-target",
        reference_url,
        "--wsconform-cases",
        "1.1.1",
        "--wsconform-outdir",
        str(tmp_path / "out"),
        "--wsconform-fuzz-examples",
        "5",
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    if FuzzItem.api() is None:
        assert "1 passed, 1 skipped" in proc.stdout
        assert "the network fuzzer is not available (wsconform.harness.fuzz.runner)" in proc.stdout
    else:
        # The reference server conforms: five conversations, no mismatch.
        assert "PASSED wsconform::test_fuzz[server]" in proc.stdout


def test_under_xdist_a_failing_case_shows_its_reason_and_one_report_is_written(
    tmp_path: pathlib.Path,
) -> None:
    # The user's own tests run beside the cases.
    (tmp_path / "test_mine.py").write_text("def test_mine() -> None:\n    pass\n")
    outdir = tmp_path / "out"
    with in_thread(lambda: serve_peer(WrongPongPeer)) as url:
        proc = run_pytest(
            tmp_path,
            "--wsconform-target",
            url,
            "--wsconform-cases",
            "1.1.1,2.3",
            "--wsconform-outdir",
            str(outdir),
            "--wsconform-fuzz-examples",
            "0",
            "-n",
            "2",
        )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "PASSED test_mine.py::test_mine" in proc.stdout
    assert "PASSED wsconform::test_case[1.1.1]" in proc.stdout
    assert "FAILED wsconform::test_case[2.3]" in proc.stdout
    assert "1 failed, 2 passed" in proc.stdout
    assert "test_fuzz" not in proc.stdout
    failure = proc.stdout[proc.stdout.index("wsconform case 2.3 FAILED") :]
    assert "behavior FAILED" in failure
    assert "why:" in failure and "pong" in failure.lower()
    assert "wire log" in failure and "RX FRAME" in failure and "TX FRAME" in failure
    assert f"again:    wsconform test-server {url}" in failure
    assert "--cases 2.3" in failure
    # ONE report, written by the controller, of the cases both workers ran.
    [agent] = index(outdir).values()
    assert {case_id: entry["behavior"] for case_id, entry in agent.items()} == {
        "1.1.1": "OK",
        "2.3": "FAILED",
    }
    suite = ET.parse(outdir / "junit.xml").getroot()
    assert len(suite.findall(".//testcase")) == 2
    assert proc.stdout.count("wsconform: report written to") == 1


def test_an_unreachable_target_is_a_harness_error(tmp_path: pathlib.Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outdir = tmp_path / "out"
    proc = run_pytest(
        tmp_path,
        "--wsconform-target",
        f"ws://127.0.0.1:{port}/",
        "--wsconform-cases",
        "1.1.1",
        "--wsconform-outdir",
        str(outdir),
        "--wsconform-fuzz-examples",
        "0",
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "wsconform harness error (not a verdict) in case 1.1.1:" in proc.stdout
    assert "Traceback" not in proc.stdout
    errors = json.loads((outdir / "harness_errors.json").read_text())
    assert "1.1.1" in json.dumps(errors)


def test_bad_options_are_one_line_usage_errors(tmp_path: pathlib.Path) -> None:
    proc = run_pytest(tmp_path, "--wsconform-target", "http://x", "--wsconform-cases", "1.1.1")
    assert proc.returncode == 4
    assert "--wsconform-target:" in proc.stderr
    proc = run_pytest(
        tmp_path, "--wsconform-target", "ws://127.0.0.1:9/", "--wsconform-cases", "99.9"
    )
    assert proc.returncode == 4
    assert "wsconform:" in proc.stderr and "99.9" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run_pytest(
        tmp_path, "--wsconform-target", "ws://127.0.0.1:9/", "--wsconform-cases", "1.1.1",
        profile="weekly",
    )  # fmt: skip
    assert proc.returncode == 4
    assert "WSCONFORM_HYPOTHESIS_PROFILE='weekly' names no Hypothesis profile" in proc.stderr


def test_the_fuzz_items_finding_is_saved_and_its_replay_command_works(
    tmp_path: pathlib.Path,
) -> None:
    corpus = tmp_path / "corpus"
    with in_thread(lambda: serve_peer(Echo1005Peer)) as url:
        proc = run_pytest(
            tmp_path, "--wsconform-target", url, "--wsconform-cases", "1.1.1",
            "--wsconform-outdir", str(tmp_path / "out"), "--wsconform-fuzz-examples", "100",
            "--wsconform-corpus", str(corpus), "--wsconform-fuzz-seed", "2", profile="ci",
        )  # fmt: skip
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "FAILED wsconform::test_fuzz[server]" in proc.stdout
        assert "seed: 2" in proc.stdout
        (entry,) = load_dir(corpus)
        saved = corpus / f"{entry.conversation.digest()}.json"
        assert f"saved: {saved}" in proc.stdout
        replay = f"replay: {ENV_VAR}={corpus} wsconform test-server {url} --cases {entry.case_id}"
        assert replay in proc.stdout
        # The printed command, as a user runs it: the same verdict.
        env = dict(os.environ, **{ENV_VAR: str(corpus)})
        again = subprocess.run(
            [sys.executable, "-m", "wsconform.harness.cli", "test-server", url, "--cases",
             entry.case_id, "--outdir", str(tmp_path / "replay")],
            capture_output=True, text=True, timeout=unit(60), check=False, env=env,
        )  # fmt: skip
    assert again.returncode == 1, again.stdout + again.stderr
    [agent] = index(tmp_path / "replay").values()
    # Echo1005Peer's defect is in its closing handshake.
    assert agent[entry.case_id]["behaviorClose"] == "FAILED"
    assert index(tmp_path / "out")
