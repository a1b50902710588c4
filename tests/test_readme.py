"""The README's Set-up section walks a newcomer from a clone to a report.

It must say how to get the ``wsconform`` command (not on PyPI), how long the main job
takes and how to run a quick subset; and every ``wsconform`` command it shows must be
one the command line accepts.
"""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

from wsconform.harness.cli import build_parser, main

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _setup() -> str:
    match = re.search(r"^## Set-up\n(.*?)^## ", README.read_text(), re.DOTALL | re.MULTILINE)
    assert match, "README.md has no Set-up section"
    return match.group(1)


def _commands() -> list[list[str]]:
    """Every ``wsconform`` command line in the Set-up section's code blocks."""
    blocks = re.findall(r"```sh\n(.*?)```", _setup(), re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0].endswith("wsconform") and words[0] != "wsconform/":
                commands.append(words[1:])
    return commands


def test_how_to_get_the_command() -> None:
    text = " ".join(_setup().split())
    assert "not on PyPI" in text
    for way in ("make venv", ".venv/bin/wsconform", "pip install -e .", "pipx install ."):
        assert way in text, way


def test_how_long_and_how_to_run_less() -> None:
    text = " ".join(_setup().split())
    assert re.search(r"about \d+ minutes on a 2-core machine", text)
    assert "--cases '1.*,2.*'" in text
    assert "wsconform cases" in text and "--show" in text


def test_every_command_shown_is_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    commands = _commands()
    assert {words[0] for words in commands} >= {"conformance", "test-server", "cases", "--help"}
    parser = build_parser()
    for words in commands:
        try:
            parser.parse_args(words)
        except SystemExit as exc:  # --help exits 0, a bad option 2
            assert exc.code == 0, words


@pytest.mark.parametrize("words", [w for w in _commands() if w[0] == "cases"], ids=" ".join)
def test_the_cases_commands_work(words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(words) == 0
    assert capsys.readouterr().out


def test_the_client_driver_example_runs_against_test_client() -> None:
    """The README's driver, as printed, runs two cases through the fuzzing server."""
    from tests.integration.harness.test_real_clients import fuzzing_server

    section = re.search(
        r"^## Testing a client\n(.*?)^## ", README.read_text(), re.DOTALL | re.MULTILINE
    )
    assert section, "README.md has no Testing a client section"
    [code] = re.findall(r"```python\n(.*?)```", section.group(1), re.DOTALL)
    assert 10 <= len(code.strip().splitlines()) <= 20
    with fuzzing_server("1.1.1,2.2") as (url, report):
        exec(code.replace("ws://127.0.0.1:9001", url), {})
    assert sorted(result.case_id for result in report.results("my-client")) == ["1.1.1", "2.2"]
    assert {str(result.outcome.label) for result in report.results("my-client")} == {"OK"}
