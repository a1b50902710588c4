"""The GitHub Actions job of ``docs/ci.md``, its shell steps run as the runner runs them.

The steps are read from the page itself, so the test follows the documentation: the
first run (no baseline committed) must pass and write the baseline, a later run must
gate on it, and the job summary must not link to pages the job page does not have.
The server is the real ``websockets`` echo server (one case fails against it, 7.1.5);
only the URL and a ``--cases`` subset are changed in the documented command.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from tests.peers.third_party import third_party_server
from tests.timing import unit
from wsconform.harness.gate import Baseline
from wsconform.harness.record.outcome import Outcome

ROOT = pathlib.Path(__file__).resolve().parents[2]
CI_MD = ROOT / "docs" / "ci.md"
BASELINE = ".wsconform-baseline.json"
CASES = "1.1.1,7.1.5"


def _workflow() -> str:
    text = CI_MD.read_text()
    match = re.search(r"## GitHub Actions\n.*?```yaml\n(.*?)```", text, re.DOTALL)
    assert match, "docs/ci.md has no GitHub Actions workflow"
    return match.group(1)


def _step(name: str) -> str:
    """The body of a step: its ``run: |`` script, or everything under ``with:``."""
    lines = _workflow().splitlines()
    start = lines.index(f"      - name: {name}")
    body = []
    for line in lines[start + 1 :]:
        if line.startswith("      - "):
            break
        body.append(line)
    return "\n".join(body)


def _script(name: str) -> str:
    body = _step(name)
    match = re.search(r"^        run: \|\n(.*)", body, re.DOTALL | re.MULTILINE)
    assert match, f"step {name!r} has no multi-line run script"
    return textwrap.dedent(match.group(1))


def _bash(script: str, cwd: pathlib.Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        timeout=unit(120),
        check=False,
    )


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with third_party_server("websockets") as url:
        yield url


def _run_cases(url: str, cwd: pathlib.Path) -> subprocess.CompletedProcess[str]:
    script = _script("Run the conformance cases")
    assert script.count("ws://127.0.0.1:9001") == 1 and "--outdir reports/servers" in script
    script = script.replace("ws://127.0.0.1:9001", url).replace(
        "--outdir reports/servers", f"--outdir reports/servers --cases {CASES}"
    )
    return _bash(script, cwd)


def test_first_run_writes_the_baseline_then_gates_on_it(
    server_url: str, tmp_path: pathlib.Path
) -> None:
    first = _run_cases(server_url, tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "::warning::" in first.stdout  # said on the job's page, not silently
    baseline = Baseline.load(tmp_path / BASELINE)
    assert baseline.outcomes["my-server"]["7.1.5"] is Outcome.FAILED
    # The next run finds the committed baseline: the accepted failure passes, quietly.
    second = _run_cases(server_url, tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "::warning::" not in second.stdout
    # A case that gets worse than its baseline fails the job.
    baseline.outcomes["my-server"]["7.1.5"] = Outcome.OK
    baseline.save(tmp_path / BASELINE)
    third = _run_cases(server_url, tmp_path)
    assert third.returncode == 1, third.stdout + third.stderr
    # Everything the upload step names exists after the run.
    paths = re.search(r"path: \|\n((?:\s{12}\S.*\n?)+)", _step("Upload the reports"))
    assert paths, "the upload step names no paths"
    for path in paths.group(1).split():
        assert (tmp_path / path).exists(), path
    assert (tmp_path / "reports" / "servers" / "index.html").is_file()


def test_job_summary_has_no_links_to_missing_pages(server_url: str, tmp_path: pathlib.Path) -> None:
    assert _run_cases(server_url, tmp_path).returncode == 0
    summary = tmp_path / "step-summary.md"
    done = _bash(_script("Job summary"), tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert "7.1.5" in text and "wsconform-report artifact" in text
    # summary.md itself links to pages beside it; on the job page none may remain.
    assert re.search(
        r"\]\((?!https?://)[^)]*\)", (tmp_path / "reports/servers/summary.md").read_text()
    )
    assert re.search(r"\]\((?!https?://)", text) is None, text


def test_job_summary_step_passes_without_a_report(tmp_path: pathlib.Path) -> None:
    """When the run could not even start (exit 2 before any report), the summary step
    must not add a second, confusing failure."""
    summary = tmp_path / "step-summary.md"
    done = _bash(_script("Job summary"), tmp_path, GITHUB_STEP_SUMMARY=str(summary))
    assert done.returncode == 0, done.stderr
    assert not summary.exists()
