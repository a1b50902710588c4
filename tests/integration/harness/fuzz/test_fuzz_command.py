"""``wsconform fuzz`` as users run it (a subprocess) against peers on real sockets.

The corpus round trip: a defect is found, shrunk, saved to the corpus and written in
the reports; ``wsconform test-server --cases corpus.<digest>`` replays the saved case
with the same verdict; the next ``wsconform fuzz`` replays it first; a conforming
server passes a saved case. Unreachable targets are exit 2. ``--serve`` fuzzes a client.
SIGINT and SIGTERM write a partial report marked interrupted and exit 130 / 143.
"""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest

from tests.peers.base import serve_peer
from tests.peers.running import in_thread
from tests.timing import unit
from wsconform.harness.commands.conformance import reference_server
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.corpus import ENV_VAR, PACKAGE_CORPUS, CorpusEntry, load_dir, save
from wsconform.harness.wire.frame import WireFrame

from .test_clients import drive
from .variants import FragmentPingPeer


def wsconform(
    *args: str, corpus: pathlib.Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop(ENV_VAR, None)
    if corpus is not None:
        env[ENV_VAR] = str(corpus)
    return subprocess.run(
        [sys.executable, "-m", "wsconform.harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=unit(timeout),
        check=False,
        env=env,
    )


def fuzz(url: str, tmp: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return wsconform(
        "fuzz", url, "--seed", "1", "--max-examples", "200", "--kill-after", "0.2",
        "--corpus", str(tmp / "corpus"), "--database", str(tmp / "db"),
        "--outdir", str(tmp / "reports"), *args,
    )  # fmt: skip


def test_the_corpus_round_trip(tmp_path: pathlib.Path) -> None:
    with in_thread(lambda: serve_peer(FragmentPingPeer)) as url:
        found = fuzz(url, tmp_path)
        assert found.returncode == 1, found.stdout + found.stderr
        (entry,) = load_dir(tmp_path / "corpus")
        case_id = entry.case_id
        out = found.stdout
        assert f"mismatch {case_id} (FAILED)" in out
        assert f"saved: {tmp_path / 'corpus' / entry.conversation.digest()}.json" in out
        assert f"--cases {case_id}" in out and "seed: 1" in out
        assert len(entry.conversation.sends) <= 3
        assert entry.found["url"] == url and entry.found["verdict"] == "FAILED"
        # The finding is a case result of every report.
        index = json.loads((tmp_path / "reports" / "index.json").read_text())
        (agent,) = index
        assert index[agent][case_id]["behavior"] == "FAILED"
        junit = ET.parse(tmp_path / "reports" / "junit.xml").getroot()
        assert case_id in ET.tostring(junit, encoding="unicode")

        # Replayed as a case by test-server, with the same verdict.
        replay = wsconform(
            "test-server", url, "--cases", case_id, "--outdir", str(tmp_path / "replay"),
            corpus=tmp_path / "corpus",
        )  # fmt: skip
        assert replay.returncode == 1, replay.stdout + replay.stderr
        replayed = json.loads((tmp_path / "replay" / "index.json").read_text())
        assert [r["behavior"] for r in replayed[agent].values()] == ["FAILED"]
        assert list(replayed[agent]) == [case_id]

        # The next fuzz run replays the corpus first.
        again = fuzz(url, tmp_path, "--max-examples", "5")
        assert again.returncode == 1
        replayed_ids = {e.case_id for e in load_dir(PACKAGE_CORPUS)} | {case_id}
        assert f"replaying {len(replayed_ids)} corpus cases" in again.stdout
        assert f"{case_id}: FAILED" in again.stdout


def test_a_conforming_server_passes_a_saved_case(tmp_path: pathlib.Path) -> None:
    ping_inside = Conversation(
        (
            Send(WireFrame(2, b"a", fin=False, masked=True)),
            Send(WireFrame(9, b"p", masked=True)),
            Send(WireFrame(0, b"b", masked=True)),
        )
    )
    save(CorpusEntry(ping_inside), tmp_path / "corpus")
    with reference_server(timeout=unit(20)) as reference:
        passed = wsconform(
            "test-server", reference, "--cases", "corpus.*", "--outdir", str(tmp_path / "ref"),
            corpus=tmp_path / "corpus",
        )  # fmt: skip
    assert passed.returncode == 0, passed.stdout + passed.stderr
    results = json.loads((tmp_path / "ref" / "index.json").read_text())
    (agent,) = results
    # The package's corpus too (cases/corpus): every case passes.
    assert f"corpus.{ping_inside.digest()}" in results[agent]
    assert {r["behavior"] for r in results[agent].values()} == {"OK"}


def test_a_clean_run_exits_0_and_says_how_fast(tmp_path: pathlib.Path) -> None:
    with reference_server(timeout=unit(20)) as url:
        done = fuzz(
            url, tmp_path, "--max-examples", "40", "-j", "2", "--no-replay", "--kill-after", "0.5"
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no mismatch" in done.stdout
    assert "40 conversations in" in done.stdout and "/s), seed 1" in done.stdout
    assert (tmp_path / "reports" / "index.html").is_file()
    assert not (tmp_path / "corpus").exists()


def test_an_unreachable_target_exits_2_with_one_line(tmp_path: pathlib.Path) -> None:
    done = fuzz("ws://127.0.0.1:1/", tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("wsconform fuzz: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_serve_fuzzes_a_client_and_saves_a_client_case(tmp_path: pathlib.Path) -> None:
    command = [
        sys.executable, "-m", "wsconform.harness.cli", "fuzz", "--serve", "0",
        "--seed", "2", "--max-examples", "60", "--kill-after", "0.2",
        "--corpus", str(tmp_path / "corpus"), "--database", "none",
        "--outdir", str(tmp_path / "reports"), "--client-wait", "10",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first.startswith("listening on ws://127.0.0.1:"), first
    url = first.split()[2].rstrip(":")
    stop = threading.Event()
    driver = threading.Thread(target=drive, args=(url, stop), kwargs={"echo": False})
    driver.start()
    try:
        out, _ = process.communicate(timeout=unit(60))
    finally:
        stop.set()
        driver.join(unit(10))
        process.kill()
    assert process.returncode == 1, out
    (entry,) = load_dir(tmp_path / "corpus")
    assert entry.target == "client"
    assert f"wsconform test-client --cases {entry.case_id}" in out
    assert "wsconform fuzz --serve " in out and "--seed 2" in out


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_fuzz_run_writes_a_partial_report(
    signum: signal.Signals, tmp_path: pathlib.Path
) -> None:
    env = dict(os.environ)
    env.pop(ENV_VAR, None)
    with reference_server(timeout=unit(20)) as url:
        process = subprocess.Popen(
            [sys.executable, "-m", "wsconform.harness.cli", "fuzz", url, "--seed", "1",
             "--max-examples", "100000", "--kill-after", "0.2", "--corpus",
             str(tmp_path / "corpus"), "--database", ":memory:", "--outdir",
             str(tmp_path / "reports"), "--agent", "ref"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline(), process.stdout.readline()]
            assert lines[0].startswith("replaying "), lines
            assert lines[1].startswith("fuzzing "), lines
            replayed = int(lines[0].split()[1])
            time.sleep(unit(1.5))
            process.send_signal(signum)
            out, err = process.communicate(timeout=unit(30))
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 128 + signum, out + err
    assert "interrupted: no mismatch so far" in out and "Traceback" not in err
    reports = tmp_path / "reports"
    index = json.loads((reports / "index.json").read_text())
    assert len(index["ref"]) == replayed
    assert {entry["behavior"] for entry in index["ref"].values()} == {"OK"}
    [error] = json.loads((reports / "harness_errors.json").read_text())
    message = error["message"]
    assert error["case"] is None and message in err
    assert message.startswith(f"interrupted by {signum.name}: partial report, ")
    assert f"{replayed} of {replayed} corpus cases finished" in message
    fuzzed = int(message.rsplit(", ", 1)[1].split()[0])
    assert fuzzed > 0 and f"{fuzzed} conversations in" in out
    for name in ("index.html", "junit.xml", "summary.md"):
        assert f"interrupted by {signum.name}" in (reports / name).read_text(), name


def test_the_fuzz_table_of_a_config_file_gives_the_defaults(tmp_path: pathlib.Path) -> None:
    config = tmp_path / "wsconform.toml"
    config.write_text(
        f'cases = ["1.*"]\n[fuzz]\nseed = 9\nmax-examples = 7\ndatabase = ":memory:"\n'
        f'outdir = "{tmp_path / "from-file"}"\nkill-after = 0.5\nlength-mutations = true\n'
    )
    with reference_server(timeout=unit(20)) as url:
        done = wsconform("fuzz", url, "--config", str(config), "--no-replay", "--seed", "4")
    assert done.returncode == 0, done.stdout + done.stderr
    # The file's max-examples and outdir, the command line's seed.
    assert "7 conversations in" in done.stdout and "/s), seed 4" in done.stdout
    assert (tmp_path / "from-file" / "index.json").is_file()
