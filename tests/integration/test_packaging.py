"""The distribution builds a wheel holding all three mapped folders and the CLI."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_wheel_contains_reference_harness_and_cases(tmp_path: pathlib.Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("wsconform-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("reference", "harness", "cases"):
        assert f"wsconform/{package}/__init__.py" in names
    assert "wsconform/reference/protocol/frames.py" in names
    assert not any(name.startswith(("reference/", "harness/", "cases/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "wsconform = wsconform.harness.cli:main" in text
    # The pytest plugin (harness/pytest_plugin.py), found by pytest through this group.
    assert "[pytest11]\nwsconform = wsconform.harness.pytest_plugin" in text


def test_console_script_runs() -> None:
    bindir = pathlib.Path(sys.executable).parent
    result = subprocess.run(
        [str(bindir / "wsconform"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("wsconform ")
