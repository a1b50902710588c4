"""wsconform's ``fr`` and ``cl`` families against real third-party servers.

As tests/integration/harness/test_third_party_servers.py does for Autobahn's catalog:
each item starts one library's echo server (:mod:`tests.peers.third_party`), runs
``wsconform test-server --cases 'FAMILY.*'`` on it in its own process and checks every
case's verdicts. A case is expected OK unless the library's table lists it, with the
behaviour of the library that earns the verdict (versions as pinned in pyproject.toml's
dev extras).
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from tests.peers.third_party import third_party_server
from tests.timing import unit
from wsconform.cases import catalog

AGENT = "peer"
OK, NS, FAILED = "OK", "NON-STRICT", "FAILED"
WRONG_CODE = "WRONG CODE"

Verdicts = tuple[str, str]

# Neither library checks that a length uses its minimal form (RFC 6455 section 5.2
# binds the sender): both read the 16- or 64-bit length and echo the message, which
# fr.1 tolerates as NON-STRICT.
_NON_MINIMAL_ECHOED = dict.fromkeys([f"fr.1.{n}" for n in range(1, 7)], frozenset({(NS, OK)}))
# Both compare a declared length with their message size limit before anything else,
# so a 64-bit length with the top bit set is refused with 1009 (message too big)
# rather than 1002: tolerated (NON-STRICT).
_TOP_BIT_1009 = dict.fromkeys(["fr.2.1", "fr.2.2", "fr.2.3"], frozenset({(NS, OK)}))

#: Case id -> the (behavior, behaviorClose) pairs allowed where the server deviates.
DEVIATIONS: dict[str, dict[str, frozenset[Verdicts]]] = {
    "websockets": {
        **_NON_MINIMAL_ECHOED,
        # A ping with a non-minimal length is answered too.
        "fr.1.7": frozenset({(NS, OK)}),
        **_TOP_BIT_1009,
        # The reader fails on the unmasked second frame while the handler may not have
        # echoed the first message yet (the race of Autobahn's 3.2 or 5.15 for this
        # library): OK when the echo wins, NON-STRICT otherwise.
        "fr.3.6": frozenset({(OK, OK), (NS, OK)}),
    },
    "aiohttp": {
        **_NON_MINIMAL_ECHOED,
        # fr.1.7 is OK, for another reason: aiohttp takes the 7-bit length field's 126
        # (the 16-bit form's marker) for the payload length of the ping and refuses a
        # control frame "larger than 125 bytes" with 1002.
        **_TOP_BIT_1009,
        # aiohttp's server never checks the MASK bit of a client frame (it unmasks when
        # the bit is set and takes the payload as it is otherwise), so it echoes
        # unmasked frames, answers an unmasked ping and never closes: the tester gives
        # up (killAfter) and closes itself. RFC 6455 section 5.1: "The server MUST close
        # the connection upon receiving a frame that is not masked."
        **dict.fromkeys(
            ["fr.3.1", "fr.3.2", "fr.3.3", "fr.3.4", "fr.3.6", "fr.3.7"],
            frozenset({(FAILED, FAILED)}),
        ),
        # An unmasked close frame is taken for a close: it answers with 1000, not 1002.
        "fr.3.5": frozenset({(FAILED, WRONG_CODE)}),
        # Close codes of 5000 and above are accepted and answered with 1000; section
        # 7.4.2 defines no range there (Autobahn's 7.13 calls them undefined): NON-STRICT.
        **dict.fromkeys(["cl.3.1", "cl.3.2", "cl.3.3", "cl.3.4"], frozenset({(NS, OK)})),
    },
}

ITEMS = [(library, family) for library in sorted(DEVIATIONS) for family in ("fr", "cl")]


def test_every_deviation_names_a_case_the_server_runs() -> None:
    server_cases = {c.id for c in catalog.select(["fr.*", "cl.*"], target="server")}
    for table in DEVIATIONS.values():
        assert set(table) <= server_cases


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("library", "family"), ITEMS, ids=[f"{a}-{b}" for a, b in ITEMS])
def test_family_against_third_party_server(
    library: str, family: str, tmp_path: pathlib.Path
) -> None:
    cases = catalog.select([f"{family}.*"], catalog="wsconform", target="server")
    outdir = tmp_path / "report"
    with third_party_server(library) as url:
        command = [
            sys.executable, "-m", "wsconform.harness.cli", "test-server", url,
            "--agent", AGENT, "--outdir", str(outdir), "--quiet", "--cases", f"{family}.*",
            "--close-timeout", str(unit(3)), "--drop-timeout", str(unit(3)),
        ]  # fmt: skip
        process = subprocess.run(
            command, capture_output=True, text=True, timeout=unit(240), check=False
        )
    index = json.loads((outdir / "index.json").read_text())[AGENT]
    found = {case_id: (r["behavior"], r["behaviorClose"]) for case_id, r in index.items()}
    assert sorted(found) == sorted(case.id for case in cases)
    table = DEVIATIONS[library]
    problems = [
        f"{library} {case.id}: {found[case.id]} instead of {sorted(allowed)}"
        for case in cases
        if found[case.id] not in (allowed := table.get(case.id, frozenset({(OK, OK)})))
    ]
    assert problems == [], "\n".join(problems)
    any_failed = any(FAILED in v or WRONG_CODE in v for v in found.values())
    assert process.returncode == (1 if any_failed else 0), process.stdout[-2000:]
