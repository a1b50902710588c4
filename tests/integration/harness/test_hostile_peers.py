"""``wsconform test-server`` against every hostile peer of :mod:`tests.peers.hostile`.

One pytest item per peer (xdist spreads them), each a real command in its own process
and session against the peer served from a thread, on a few cases with short timers.
Each asserts what the harness owes any target: a verdict or a harness error for every
case, the documented exit status, no process or socket left behind, and bounded memory
and report size. The bounds here are generous ceilings that catch a regression to
unbounded growth (hundreds of MB per case); the figures themselves are measured by
``bench/bench_hostile.py``, not here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from tests.peers.hostile import HOSTILE_PEERS, hostile_in_thread
from tests.timing import unit

AGENT = "hostile"
#: Cases with a killAfter or closeAfter of 1 s: each ends by its own timers.
CASES = ("1.1.1", "2.1", "3.1", "5.1", "7.1.1")
#: The deflate bomb needs cases that offer permessage-deflate.
DEFLATE_CASES = ("12.1.1", "13.1.1")
TIMERS = ("--open-timeout", "1", "--close-timeout", "0.5", "--drop-timeout", "0.5")

#: Resident memory of the command: its baseline (about 50 MB) plus the largest message
#: one case may hold (64 MiB, the tester's limit) per case in flight.
MEMORY_CEILING_KB = (100 + 64 * 2) * 1024
#: JSON and HTML of one case.
REPORT_CEILING = 2**20


@dataclasses.dataclass(frozen=True)
class Hostile:
    """How one peer is run and what its run must end with."""

    cases: tuple[str, ...] = CASES
    jobs: int = 2
    exits: frozenset[int] = frozenset({1})
    #: A target whose opening handshake fails is not a WebSocket server: the probe
    #: before the first case ends the run with exit 2 and one line saying why
    #: (this text in it), and no report.
    refused: str | None = None


def _handshake_fails(why: str) -> Hostile:
    return Hostile(exits=frozenset({2}), refused=why)


PLANS: dict[str, Hostile] = {
    "garbage": _handshake_fails("the answer is not HTTP"),
    "plain-http": _handshake_fails("HTTP/1.0 200 OK"),
    "never-answering": _handshake_fails("opening handshake"),
    "slowloris": _handshake_fails("opening handshake"),
    "wrong-accept": _handshake_fails("Sec-WebSocket-Accept"),
    "silent": Hostile(),
    "never-closing": Hostile(),
    "huge-length": Hostile(),
    "deflate-bomb": Hostile(cases=DEFLATE_CASES, jobs=1),
    "reset": Hostile(),
    "close-storm": Hostile(),
    "endless-fragments": Hostile(),
    "ping-flood": Hostile(),
    # One case at a time, so that the peer dies after the first case: the next one
    # sees its connection aborted (FAILED), the others cannot connect (harness errors).
    "dying": Hostile(jobs=1, exits=frozenset({2})),
    "not-reading": Hostile(),
}


def test_every_hostile_peer_has_a_plan() -> None:
    assert set(PLANS) == set(HOSTILE_PEERS)


@dataclasses.dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str
    max_rss_kb: int


def run_command(args: list[str], timeout: float) -> Finished:
    """Run the command in its own session; its exit status and peak resident memory.

    Raises:
        AssertionError: it did not exit in time (it is killed), or a process of its
            session outlived it.
    """
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        # The peak of the command's own memory, polled while it runs. Not the rusage of
        # wait4: Linux carries the parent's high-water mark across fork and exec into
        # ru_maxrss, so a child of a large pytest worker would report the worker's size.
        peak = 0
        while True:
            peak = max(peak, high_water_kb(process.pid))
            pid, status, _usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                raise AssertionError(f"{args} did not exit within {timeout:g} s")
            time.sleep(0.05)
        returncode = os.waitstatus_to_exitcode(status)
        process.returncode = returncode  # reaped here, not by Popen
        leftovers = session_members(process.pid)
        assert not leftovers, f"processes left in the command's session: {leftovers}"
        stdout.seek(0)
        stderr.seek(0)
        return Finished(returncode, stdout.read(), stderr.read(), peak)


def high_water_kb(pid: int) -> int:
    """The peak resident memory of ``pid`` so far (``VmHWM``), 0 once it is gone."""
    with contextlib.suppress(OSError):
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def session_members(session: int) -> list[int]:
    """Live processes whose session id is ``session`` (``/proc/PID/stat`` field 6)."""
    members = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def sockets_to(port: int) -> list[str]:
    """TCP sockets some process holds whose remote end is ``port`` on 127.0.0.1: the
    tester's side of a connection to the peer (the peer's own side has it as local)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in pathlib.Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                remote, inode = fields[2], fields[9]
                if int(remote.rsplit(":", 1)[1], 16) == port and inode != "0":
                    found.append(line.strip())
    return found


def accounted(outdir: pathlib.Path, cases: tuple[str, ...]) -> list[str]:
    """Cases with neither a verdict in ``index.json`` nor a harness error naming them."""
    index = json.loads((outdir / "index.json").read_text())
    errors = json.loads((outdir / "harness_errors.json").read_text())
    judged = set(index.get(AGENT, {}))
    in_errors = {e["case"] for e in errors if e["case"] is not None}
    run_level = " ".join(e["message"] for e in errors if e["case"] is None)
    missing = []
    for case_id in cases:
        if case_id in judged or case_id in in_errors:
            continue
        if f" {case_id}," in f" {run_level}," or f" {case_id} " in f" {run_level} ":
            continue
        missing.append(case_id)
    return missing


@pytest.mark.parametrize("name", sorted(PLANS))
def test_hostile_peer(name: str, tmp_path: pathlib.Path) -> None:
    plan = PLANS[name]
    outdir = tmp_path / "out"
    with hostile_in_thread(HOSTILE_PEERS[name]) as url:
        port = int(url.rsplit(":", 1)[1].strip("/"))
        command = [
            sys.executable, "-m", "wsconform.harness.cli", "test-server", url,
            "--agent", AGENT, "--outdir", str(outdir), "--cases", ",".join(plan.cases),
            "-j", str(plan.jobs), "-q", *TIMERS,
        ]  # fmt: skip
        done = run_command(command, unit(60))
        assert not sockets_to(port), "the tester left sockets open"
    assert done.returncode in plan.exits, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    if plan.refused is not None:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "did not complete the WebSocket opening handshake" in done.stderr
        assert plan.refused in done.stderr, done.stderr
        assert not (outdir / "index.json").exists()
        return
    assert not accounted(outdir, plan.cases), done.stdout
    assert 0 < done.max_rss_kb <= MEMORY_CEILING_KB, f"{done.max_rss_kb} KB"
    for case_id in plan.cases:
        stem = f"{AGENT}_case_{case_id.replace('.', '_')}"
        size = sum(p.stat().st_size for p in outdir.glob(f"{stem}.*"))
        assert size <= REPORT_CEILING, f"{case_id}: {size} bytes of report"
