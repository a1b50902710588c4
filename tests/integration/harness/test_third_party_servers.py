"""All 517 cases against real third-party servers: ``websockets`` and ``aiohttp``.

Each test starts the library's echo server (permessage-deflate on, see
:mod:`tests.peers.third_party`), runs ``wsconform test-server`` on it as a user would
(the real command in its own process), and checks the JSON report case by case:
every case has the verdicts its rules give for that server. A case is expected OK (or
INFORMATIONAL for the informational cases) unless the table of the server lists it,
each entry with the behaviour of the library that earns it.
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
OK, NS, INFO, FAILED = "OK", "NON-STRICT", "INFORMATIONAL", "FAILED"
WRONG_CODE = "WRONG CODE"

# websockets fails the connection as soon as it parses a bad frame, before its
# handler echoes the valid message that came just before it in the same read:
# NON-STRICT, as Autobahn grades websockets too.
_WEBSOCKETS_NO_ECHO_BEFORE_FAILING = dict.fromkeys(
    ["3.2", "3.3", "4.1.3", "4.1.4", "4.1.5", "4.2.3", "4.2.4", "4.2.5", "5.15"], (NS, OK)
)
# Both libraries validate UTF-8 when a text message is complete, not as its fragments
# arrive: the invalid message is refused with 1007 at its end, not at the first bad
# byte (6.4.1-6.4.4 "fail fast"): NON-STRICT.
_UTF8_AT_MESSAGE_END = dict.fromkeys(["6.4.1", "6.4.2", "6.4.3", "6.4.4"], (NS, OK))

#: Case id -> (behavior, behaviorClose) where the server deviates from OK; versions as
#: pinned in pyproject.toml's dev extras (websockets 17.4, aiohttp 3.14).
DEVIATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "websockets": {
        **_WEBSOCKETS_NO_ECHO_BEFORE_FAILING,
        **_UTF8_AT_MESSAGE_END,
        # A close frame between the fragments of a message is legal (section 5.4:
        # control frames MAY be injected in the middle of a fragmented message), but
        # websockets answers it with 1002 "incomplete fragmented message".
        "7.1.5": (FAILED, WRONG_CODE),
        # websockets refuses messages of more than 4,096 fragments with 1009 ("too many
        # fragments"): 4 MiB in fragments of 64 B, 256 B and 1 KiB is never echoed.
        **dict.fromkeys(["9.3.1", "9.3.2", "9.3.3", "9.4.1", "9.4.2", "9.4.3"], (FAILED, FAILED)),
    },
    "aiohttp": {
        **_UTF8_AT_MESSAGE_END,
        # aiohttp accepts a close frame with code 1006, which section 7.4.1 says "MUST
        # NOT be set as a status code in a Close control frame by an endpoint", and
        # answers with 1000 where the tester expects 1002.
        "7.9.5": (FAILED, WRONG_CODE),
    },
}


def expected_verdicts(library: str) -> dict[str, tuple[str, str]]:
    """The (behavior, behaviorClose) of every case of the catalog for ``library``."""
    expected = {}
    for case in catalog.CASES:
        default = (INFO, INFO) if case.informational is not None else (OK, OK)
        expected[case.id] = DEVIATIONS[library].get(case.id, default)
    return expected


@pytest.mark.parametrize("library", sorted(DEVIATIONS))
def test_every_case_against_a_third_party_server(library: str, tmp_path: pathlib.Path) -> None:
    with third_party_server(library) as url:
        completed = subprocess.run(
            [
                sys.executable, "-m", "wsconform.harness.cli", "test-server", url,
                "--agent", AGENT, "--outdir", str(tmp_path), "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=unit(1200),
            check=False,
        )  # fmt: skip
    index = json.loads((tmp_path / "index.json").read_text())[AGENT]
    found = {case_id: (r["behavior"], r["behaviorClose"]) for case_id, r in index.items()}
    expected = expected_verdicts(library)
    assert len(found) == len(catalog.CASES) == 517
    wrong = {
        case_id: f"{found.get(case_id)} instead of {verdicts}"
        for case_id, verdicts in expected.items()
        if found.get(case_id) != verdicts
    }
    assert wrong == {}, completed.stdout[-3000:]
    any_failed = any(FAILED in verdicts or WRONG_CODE in verdicts for verdicts in found.values())
    assert completed.returncode == (1 if any_failed else 0), completed.stderr
