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
OK, NS, INFO, FAILED, UNIMPL = "OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "UNIMPLEMENTED"

#: Case id -> (behavior, behaviorClose) where the server deviates from OK.
DEVIATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "websockets": {},
    "aiohttp": {},
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
    any_failed = any(FAILED in verdicts or "WRONG CODE" in verdicts for verdicts in found.values())
    assert completed.returncode == (1 if any_failed else 0), completed.stderr
