"""wsconform's ``fr`` and ``cl`` families end to end, with real sockets.

The reference server and the reference client pass every case of both families
(``wsconform conformance``, both phases); known-broken variants of the conforming
echo server (:mod:`tests.peers.framing`) each get a verdict that is not OK on the cases
about what they get wrong, and ``--strict`` reports a server that closes TCP late.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

from tests.peers import EchoPeer, PeerConnection, serve_peer
from tests.peers.framing import (
    NonMinimalAcceptingPeer,
    OldCloseCodesPeer,
    SlowClosingPeer,
    UnmaskedAcceptingPeer,
)
from tests.peers.running import AGENT, Expect, expect, mismatches, run, run_peer
from tests.timing import unit
from wsconform.cases import catalog
from wsconform.harness.commands.client_conformance import run_client_phase
from wsconform.harness.report.model import Report
from wsconform.harness.runner.config import RunOptions, Target, Timeouts
from wsconform.harness.runner.scheduler import run_cases

OK, NS, FAILED = "OK", "NON-STRICT", "FAILED"
WRONG_CODE = "WRONG CODE"

#: The family cases each role runs.
SERVER_CASES = catalog.select(["fr.*", "cl.*"], catalog="wsconform", target="server")
CLIENT_CASES = catalog.select(["fr.*", "cl.*"], catalog="wsconform", target="client")


def check(peer: type[PeerConnection], expected: dict[str, Expect]) -> None:
    report = run(run_peer(peer, expected), unit(30))
    assert mismatches(report, expected) == []


def test_the_reference_server_and_client_pass_both_families(tmp_path: pathlib.Path) -> None:
    command = [
        sys.executable, "-m", "wsconform.harness.cli", "conformance",
        "--cases", "fr.*,cl.*", "--outdir", str(tmp_path),
    ]  # fmt: skip
    process = subprocess.run(
        command, capture_output=True, text=True, timeout=unit(120), check=False
    )
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-2000:]
    for role, cases in (("servers", SERVER_CASES), ("clients", CLIENT_CASES)):
        (records,) = json.loads((tmp_path / role / "index.json").read_text()).values()
        assert sorted(records) == sorted(case.id for case in cases)
        verdicts = {(r["behavior"], r["behaviorClose"]) for r in records.values()}
        assert verdicts == {(OK, OK)}, role
    # Each role runs the cases about it: fr.3 for servers, fr.4 for clients.
    assert len(SERVER_CASES) == len(CLIENT_CASES) == 55
    assert {c.subsection for c in SERVER_CASES} - {c.subsection for c in CLIENT_CASES} == {"fr.3"}


def test_the_conforming_echo_peer_passes_what_the_variants_fail() -> None:
    cases = ["fr.1.2", "fr.1.7", "fr.3.1", "fr.3.5", "cl.1.1", "cl.1.4", "cl.2.1"]
    check(EchoPeer, {case_id: expect(OK, OK) for case_id in cases})


def test_a_server_that_accepts_unmasked_frames_fails_fr_3() -> None:
    # It echoes what it should have refused, and never closes: the tester gives up
    # (killAfter) and closes with 1001 itself, so the close verdict is FAILED too.
    echoed = expect(FAILED, FAILED, closedByMe=True, failedByMe=True, localCloseCode=1001)
    check(
        UnmaskedAcceptingPeer,
        {
            "fr.3.1": echoed,
            "fr.3.2": echoed,
            "fr.3.4": echoed,
            "fr.3.6": echoed,
            "fr.3.7": echoed,
            # An unmasked close frame is taken for a close: a normal 1000, not 1002.
            "fr.3.5": expect(FAILED, WRONG_CODE, closedByMe=False, remoteCloseCode=1000),
            # A masked frame it handles as the conforming peer does.
            "fr.3.8": expect(OK, OK),
        },
    )


def test_a_server_that_accepts_non_minimal_lengths_is_non_strict_on_fr_1() -> None:
    # fr.1's alternative: the peer answers and leaves the closing to the tester.
    accepted = expect(NS, OK, closedByMe=True, localCloseCode=1001)
    check(
        NonMinimalAcceptingPeer,
        {**{f"fr.1.{n}": accepted for n in range(1, 8)}, "fr.6.2": expect(OK, OK)},
    )


def test_a_server_that_rejects_1012_fails_cl_1() -> None:
    rejected = expect(FAILED, WRONG_CODE, closedByMe=True, remoteCloseCode=1002)
    check(
        OldCloseCodesPeer,
        {
            **{f"cl.1.{n}": rejected for n in range(1, 6)},
            # The codes it should refuse it still refuses.
            "cl.2.1": expect(OK, OK),
            "cl.3.1": expect(OK, OK),
        },
    )


def _strict_run(peer: type[PeerConnection], case_ids: list[str], strict: bool) -> Report:
    async def main() -> Report:
        async with serve_peer(peer) as url:
            cases = [catalog.get(case_id) for case_id in case_ids]
            # A server drop timer far above the peer's 0.5 s, so that only --strict
            # can tell the late close from a prompt one.
            options = RunOptions(timeouts=Timeouts(server_connection_drop=unit(3)), strict=strict)
            return await run_cases(
                Target(url), cases, agent=AGENT, jobs=4, options=options,
                run_index=catalog.run_index,
            )  # fmt: skip

    return run(main(), unit(30))


def test_strict_reports_a_server_that_closes_tcp_late() -> None:
    # 0.5 s after the closing handshake: inside Autobahn's 1 s server drop timer (OK),
    # not "immediately" (RFC 6455 section 7.1.1) under --strict.
    cases = ["cl.1.1", "7.1.1"]
    lenient = _strict_run(SlowClosingPeer, cases, strict=False)
    assert mismatches(lenient, {case_id: expect(OK, OK) for case_id in cases}) == []
    strict = _strict_run(SlowClosingPeer, cases, strict=True)
    assert mismatches(strict, {case_id: expect(NS, OK) for case_id in cases}) == []
    result = strict.get(AGENT, "7.1.1")
    assert result is not None
    assert result.verdicts.result.startswith("Strict profile (prompt-tcp-close): The server")
    # The conforming peer closes at once: OK under --strict as well.
    prompt = _strict_run(EchoPeer, cases, strict=True)
    assert mismatches(prompt, {case_id: expect(OK, OK) for case_id in cases}) == []


def test_the_reference_client_passes_both_families_under_strict(tmp_path: pathlib.Path) -> None:
    # --strict through test-client's path (the served cases); no timing rule applies to
    # a client (the tester closes TCP itself), so this cannot depend on load.
    status = run_client_phase(CLIENT_CASES, tmp_path, RunOptions(strict=True), jobs=2)
    assert status == 0
    (records,) = json.loads((tmp_path / "index.json").read_text()).values()
    assert {(r["behavior"], r["behaviorClose"]) for r in records.values()} == {(OK, OK)}
    assert len(records) == len(CLIENT_CASES)
