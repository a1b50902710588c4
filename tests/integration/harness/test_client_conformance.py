"""The conformance job's client phase: the reference client against the fuzzing server."""

from __future__ import annotations

import json
import pathlib

from wsconform.cases import catalog
from wsconform.harness.commands.client_conformance import CLIENT_AGENT, run_client_phase
from wsconform.harness.runner.config import RunOptions


def test_the_reference_client_passes_a_subset(tmp_path: pathlib.Path) -> None:
    cases = catalog.select(["1.1.*", "5.1", "7.1.6", "9.1.1"])
    status = run_client_phase(cases, tmp_path, RunOptions(), jobs=2)
    assert status == 0
    index = json.loads((tmp_path / "index.json").read_text())
    assert sorted(index[CLIENT_AGENT]) == sorted(case.id for case in cases)
    assert index[CLIENT_AGENT]["7.1.6"]["behavior"] == "INFORMATIONAL"
    report = json.loads((tmp_path / index[CLIENT_AGENT]["1.1.1"]["reportfile"]).read_text())
    assert report["isServer"] is True


def test_a_client_that_cannot_finish_is_a_harness_error(tmp_path: pathlib.Path) -> None:
    # 9.1.6 echoes 16 MiB: far more than a tenth of a second.
    status = run_client_phase(catalog.select(["9.1.6"]), tmp_path, RunOptions(), deadline=0.1)
    assert status == 2
    errors = json.loads((tmp_path / "harness_errors.json").read_text())
    assert any("did not finish within 0.1 s" in error["message"] for error in errors)
