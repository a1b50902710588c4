"""``--shard I/N`` and ``wsconform merge``: shards merge into an unsharded run's verdicts."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.integration.harness.test_interrupts_and_options import wsconform
from wsconform.harness.commands.conformance import reference_server

pytestmark = pytest.mark.integration

CASES = "1.1.*,2.*,3.*,5.*,7.1.*,12.1.1,12.1.2,13.1.1"


def verdicts(outdir: pathlib.Path) -> dict[str, tuple[str, str]]:
    index = json.loads((outdir / "index.json").read_text())
    return {
        case_id: (entry["behavior"], entry["behaviorClose"])
        for case_id, entry in index["ref"].items()
    }


def test_shards_merge_into_the_verdicts_of_one_run(tmp_path: pathlib.Path) -> None:
    with reference_server() as url:
        whole = wsconform("test-server", url, "--agent", "ref", "--cases", CASES, "-q",
                          "--outdir", str(tmp_path / "whole"))  # fmt: skip
        assert whole.returncode == 0, whole.stderr
        for i in (1, 2, 3):
            part = wsconform("test-server", url, "--agent", "ref", "--cases", CASES, "-q",
                             "--shard", f"{i}/3", "--outdir", str(tmp_path / f"s{i}"))  # fmt: skip
            assert part.returncode == 0, part.stderr
    shards = [verdicts(tmp_path / f"s{i}") for i in (1, 2, 3)]
    assert all(shards), "no shard is empty"
    assert sum(len(s) for s in shards) == len(verdicts(tmp_path / "whole")), "disjoint"
    # The two 12.x/13.x echo loops do not land on one shard.
    heavy = [sum(c.startswith(("12.", "13.")) for c in s) for s in shards]
    assert max(heavy) < 3, heavy
    merged = tmp_path / "merged"
    done = wsconform("merge", *(str(tmp_path / f"s{i}") for i in (1, 2, 3)),
                     "--outdir", str(merged))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert verdicts(merged) == verdicts(tmp_path / "whole")
    for name in ("index.html", "junit.xml", "summary.md", "ref_case_1_1_1.json"):
        assert (merged / name).is_file(), name
    junit = (merged / "junit.xml").read_text()
    assert junit.count("<testcase ") == len(verdicts(merged))


def test_merge_gates_on_the_merged_result(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "failed"
    folder.mkdir()
    entry = {"behavior": "FAILED", "behaviorClose": "OK", "duration": 1, "remoteCloseCode": 1000,
             "reportfile": "x_case_1_1_1.json"}  # fmt: skip
    (folder / "index.json").write_text(json.dumps({"x": {"1.1.1": entry}}))
    done = wsconform("merge", str(folder), "--outdir", str(tmp_path / "out"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1.1.1" in done.stdout


def test_merge_of_a_folder_without_a_report_is_one_line(tmp_path: pathlib.Path) -> None:
    done = wsconform("merge", str(tmp_path), "--outdir", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"wsconform merge: {tmp_path} holds no index.json: not a report directory"
    ]
