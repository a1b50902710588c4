"""``--spec fuzzingclient.json``: several agents in one run and one report, unchanged."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.integration.harness.test_interrupts_and_options import wsconform
from wsconform.harness.commands.conformance import reference_server

pytestmark = pytest.mark.integration


def test_an_autobahn_spec_file_runs_every_agent_into_one_report(tmp_path: pathlib.Path) -> None:
    outdir = tmp_path / "reports" / "servers"
    with reference_server() as first, reference_server("sync") as second:
        spec = {
            "outdir": str(outdir),
            "options": {"failByDrop": False},
            "servers": [
                {"agent": "First", "url": first, "options": {"version": 18}},
                {"agent": "Second", "url": second},
                {"agent": "Gone", "url": "ws://127.0.0.1:9/"},
            ],
            "cases": ["1.1.*", "2.*"],
            "exclude-cases": ["2.1"],
            "exclude-agent-cases": {"Sec*": ["1.*"]},
        }
        path = tmp_path / "fuzzingclient.json"
        path.write_text(json.dumps(spec))
        done = wsconform("test-server", "--spec", str(path), "-q")
    # A server that cannot be reached is a harness error: exit 2, the others have verdicts.
    assert done.returncode == 2, done.stderr
    index = json.loads((outdir / "index.json").read_text())
    assert set(index) == {"First", "Second"}
    assert sorted(index["First"]) == sorted([f"1.1.{i}" for i in range(1, 9)] +
                                            [f"2.{i}" for i in range(2, 12)])  # fmt: skip
    assert sorted(index["Second"]) == sorted(f"2.{i}" for i in range(2, 12))
    assert {v["behavior"] for agent in index.values() for v in agent.values()} == {"OK"}
    errors = json.loads((outdir / "harness_errors.json").read_text())
    assert [e["agent"] for e in errors] == ["Gone"]


def test_a_bad_spec_file_is_one_line(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "fuzzingclient.json"
    path.write_text(json.dumps({"servers": [{"agent": "A", "url": "ws://h/"}], "colour": 1}))
    done = wsconform("test-server", "--spec", str(path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"wsconform test-server: {path}: unknown key 'colour'"]
