"""``wsconform test-server`` as a user runs it: the real command in its own process.

Targets are the reference server (``wsconform reference-server``) and known-broken
peers of :mod:`tests.peers` served from a thread. The tests check the exit codes of
the README (0 nothing fails the gate, 1 a case fails it, 2 bad usage or a harness
error), the one-line messages, the report files and the progress lines.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import socket
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from tests.peers import (
    DeferredEchoPeer,
    NaiveEchoPeer,
    PeerConnection,
    RejectingPeer,
    SilentPeer,
    serve_peer,
)
from tests.peers.running import in_thread, run, run_cases_at
from tests.timing import unit
from wsconform.cases import testdata
from wsconform.harness.commands.conformance import reference_server
from wsconform.harness.record.outcome import Outcome, outcome_of
from wsconform.harness.report.model import Report

AGENT = "target"


def wsconform(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsconform.harness.cli", *args],
        capture_output=True,
        text=True,
        timeout=unit(timeout),
        check=False,
    )


def run_test_server(url: str, outdir: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    return wsconform("test-server", url, "--agent", AGENT, "--outdir", str(outdir), *args)


def peer_in_thread(peer: type[PeerConnection]) -> contextlib.AbstractContextManager[str]:
    """Serve a test peer from an event loop in a thread; yield its URL."""
    return in_thread(lambda: serve_peer(peer))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_passing_run_writes_every_report_and_exits_0(tmp_path: pathlib.Path) -> None:
    with reference_server() as url:
        done = run_test_server(url, tmp_path, "--cases", "1.1.1,2.*", "--exclude", "2.10,2.11")
    assert done.returncode == 0, done.stderr
    # Not a terminal: one progress line per case, then the summary and the gate.
    lines = done.stdout.splitlines()
    progress = [line for line in lines if line.startswith("[")]
    assert len(progress) == 10 and progress[-1].startswith("[10/10] target ")
    assert "gate: pass (--fail-on failed, exit 0)" in done.stdout
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index[AGENT]) == sorted(["1.1.1", *(f"2.{i}" for i in range(1, 10))])
    for name in ("index.html", "junit.xml", "summary.md", "target_case_1_1_1.json"):
        assert (tmp_path / name).is_file(), name


def test_failed_case_exits_1_and_fail_on_non_strict_is_stricter(tmp_path: pathlib.Path) -> None:
    # DeferredEchoPeer answers late: 3.2 (echo lost to the failure) is NON-STRICT only.
    with peer_in_thread(DeferredEchoPeer) as url:
        lenient = run_test_server(url, tmp_path / "a", "--cases", "3.2,1.1.1", "-q")
        strict = run_test_server(
            url, tmp_path / "b", "--cases", "3.2,1.1.1", "-q", "--fail-on", "non-strict"
        )
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert "3.2" in strict.stdout


def test_baseline_accepts_known_deviations_and_fails_on_new_ones(tmp_path: pathlib.Path) -> None:
    baseline = tmp_path / "baseline.json"
    with peer_in_thread(SilentPeer) as url:
        first = run_test_server(
            url, tmp_path / "a", "--cases", "2.1", "-q", "--baseline", str(baseline),
            "--update-baseline",
        )  # fmt: skip
        same = run_test_server(
            url, tmp_path / "b", "--cases", "2.1", "-q", "--baseline", str(baseline)
        )
        worse = run_test_server(
            url, tmp_path / "c", "--cases", "2.1,2.2", "-q", "--baseline", str(baseline)
        )
    assert first.returncode == 0, first.stdout + first.stderr
    assert baseline.is_file()
    assert same.returncode == 0, same.stdout + same.stderr
    # 2.2 is not in the baseline and fails against a silent peer.
    assert worse.returncode == 1, worse.stdout + worse.stderr


def test_unreachable_url_exits_2_with_one_line(tmp_path: pathlib.Path) -> None:
    done = run_test_server(f"ws://127.0.0.1:{free_port()}/", tmp_path, "--cases", "1.1.1")
    assert done.returncode == 2
    assert done.stderr.startswith("wsconform test-server: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "index.json").exists()


def test_bad_usage_exits_2_before_any_case(tmp_path: pathlib.Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    url = f"ws://127.0.0.1:{free_port()}/"
    cases = {
        "no case": ("--cases", "99.*"),
        "cannot write reports to": ("--outdir", str(a_file / "sub")),
        "needs --baseline": ("--update-baseline",),
        "is not a directory": ("--testdata", str(tmp_path / "missing")),
        "at least 1": ("-j", "0"),
    }
    for expected, args in cases.items():
        done = run_test_server(url, tmp_path / "out", *args)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in done.stderr, (args, done.stderr)


def test_testdata_directory_must_hold_the_five_files(tmp_path: pathlib.Path) -> None:
    for data_file in testdata.FILES[:-1]:
        (tmp_path / data_file.file_name).write_bytes(testdata.generate(data_file.key))
    url = f"ws://127.0.0.1:{free_port()}/"
    done = run_test_server(url, tmp_path / "out", "--testdata", str(tmp_path))
    assert done.returncode == 2
    assert testdata.FILES[-1].file_name in done.stderr


def test_testdata_directory_is_used(tmp_path: pathlib.Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for data_file in testdata.FILES:
        (data / data_file.file_name).write_bytes(testdata.generate(data_file.key))
    with reference_server() as url:
        done = run_test_server(url, tmp_path / "out", "--testdata", str(data), "--cases", "12.1.1")
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((tmp_path / "out" / "target_case_12_1_1.json").read_text())
    assert record["behavior"] == "OK"


# --- every output of one run tells the same story -----------------------------------------


def _junit_failures(outdir: pathlib.Path) -> list[str]:
    root = ET.parse(outdir / "junit.xml").getroot()
    return [
        (case.get("name") or "").split(" ")[0]
        for case in root.iter("testcase")
        if case.find("failure") is not None
    ]


def _index_failed(outdir: pathlib.Path) -> list[str]:
    index = json.loads((outdir / "index.json").read_text())[AGENT]
    return sorted(
        case_id
        for case_id, summary in index.items()
        if outcome_of(summary["behavior"], summary["behaviorClose"]) is Outcome.FAILED
    )


def test_reasons_of_a_failing_run_explain_it_in_every_format(tmp_path: pathlib.Path) -> None:
    # A server that never checks UTF-8: the wrong endpoint closes every 6.3.x case.
    with peer_in_thread(NaiveEchoPeer) as url:
        done = run_test_server(url, tmp_path, "--cases", "6.3.*")
    assert done.returncode == 1, done.stdout + done.stderr
    reason = "The peer did not close the connection itself"
    outputs = {
        "terminal": done.stdout,
        "summary.md": (tmp_path / "summary.md").read_text(),
        "junit.xml": (tmp_path / "junit.xml").read_text(),
        "case page": (tmp_path / "target_case_6_3_1.html").read_text(),
        "case JSON": (tmp_path / "target_case_6_3_1.json").read_text(),
    }
    for name, text in outputs.items():
        assert reason in text, name
        assert "match the OK alternative" not in text, name
        assert "should have closed first with 1007" in text, name
    # The terminal details the first failures: expected against actual, and how to rerun.
    assert "expected: " in done.stdout and "actual:   " in done.stdout
    assert f"again:    wsconform test-server {url} --agent {AGENT} --cases 6.3.1" in done.stdout
    # The gate names each failing case once, without an empty baseline column.
    assert f"gate: 2 cases at FAILED or worse:\n  {AGENT}: 6.3.1, 6.3.2\n" in done.stdout
    assert "- -> FAILED" not in done.stdout


def test_a_subset_rerun_into_the_same_outdir_agrees_in_every_output(
    tmp_path: pathlib.Path,
) -> None:
    with peer_in_thread(NaiveEchoPeer) as url:
        first = run_test_server(url, tmp_path, "--cases", "1.1.1,6.3.*", "-q")
        again = run_test_server(url, tmp_path, "--cases", "6.3.1", "-q")
    assert first.returncode == again.returncode == 1, again.stdout + again.stderr
    # The rerun replaces the agent's earlier results: one failure, everywhere.
    assert _index_failed(tmp_path) == ["6.3.1"]
    assert _junit_failures(tmp_path) == ["6.3.1"]
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## wsconform: failed (1 failed case(s), 0 harness error(s))")
    assert f"{AGENT}: 1 case" in again.stdout and "1 FAILED" in again.stdout
    assert f"gate: 1 case at FAILED or worse:\n  {AGENT}: 6.3.1\n" in again.stdout
    assert not (tmp_path / "target_case_6_3_2.json").exists()
    assert not (tmp_path / "target_case_1_1_1.html").exists()


@contextlib.contextmanager
def plain_http_server() -> Iterator[int]:
    """A plain HTTP server on 127.0.0.1 (not WebSocket): 200 OK to every request."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(unit(5))
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(unit(5))
        listener.close()


def test_a_plain_http_server_is_a_harness_error_quoting_its_status_line(
    tmp_path: pathlib.Path,
) -> None:
    with plain_http_server() as port:
        done = run_test_server(f"ws://127.0.0.1:{port}/", tmp_path, "--cases", "1.*")
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "HTTP/1.0 200 OK" in done.stderr
    assert "did not complete the WebSocket opening handshake" in done.stderr
    assert not (tmp_path / "index.json").exists()


def test_a_handshake_that_fails_in_one_case_is_its_verdict_with_the_status_line() -> None:
    """Past the probe, a rejected upgrade is the case's FAILED verdict, not an error."""

    async def go() -> Report:
        async with serve_peer(RejectingPeer) as url:
            return await run_cases_at(url, ["1.1.1"])

    report = run(go(), unit(30))
    [result] = report.results()
    assert result.outcome is Outcome.FAILED
    assert "403" in result.verdicts.reason
