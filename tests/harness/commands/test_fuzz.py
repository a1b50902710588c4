"""``wsconform fuzz``: its options, checked before any connection (no socket here)."""

from __future__ import annotations

import pathlib

import pytest
from hypothesis.database import DirectoryBasedExampleDatabase, InMemoryExampleDatabase

from wsconform.harness.cli import main
from wsconform.harness.commands import fuzz as command
from wsconform.harness.commands.case_options import UsageError
from wsconform.harness.commands.fuzz import open_database

#: A database for ``python:`` specs (a factory the option calls).
make_database = InMemoryExampleDatabase
#: Not a database at all.
NOT_A_DATABASE = object()


def test_the_exports_exist() -> None:
    for name in command.__all__:
        assert hasattr(command, name), name


def test_database_specs(tmp_path: pathlib.Path) -> None:
    assert open_database("none") is None
    assert isinstance(open_database(":memory:"), InMemoryExampleDatabase)
    directory = open_database(str(tmp_path / "db"))
    assert isinstance(directory, DirectoryBasedExampleDatabase)
    spec = "python:tests.harness.commands.test_fuzz:make_database"
    assert isinstance(open_database(spec), InMemoryExampleDatabase)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("python:no.such.module:x", "No module named"),
        ("python:tests.harness.commands.test_fuzz:missing", "has no attribute"),
        ("python:tests.harness.commands.test_fuzz:NOT_A_DATABASE", "not a Hypothesis"),
    ],
)
def test_bad_database_specs(spec: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        open_database(spec)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--max-examples", "0"], "--max-examples must be at least 1"),
        (["-j", "0"], "-j must be at least 1"),
        (["--time-budget", "nan"], "--time-budget must be a finite number"),
        (["--kill-after", "0"], "--kill-after must be a finite number"),
        (["--database", "python:nope:x"], "--database python:nope:x"),
    ],
)
def test_bad_options_exit_2_with_one_line(
    options: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    url = "ws://127.0.0.1:9/"
    status = main(["fuzz", url, "--outdir", str(tmp_path), *options])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("wsconform fuzz: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_a_bad_url_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path) -> None:
    assert main(["fuzz", "http://example.com/", "--outdir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("wsconform fuzz: ")
