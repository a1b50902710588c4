"""Configuration files: found from the working directory, flags override, bad keys named."""

from __future__ import annotations

import argparse
import pathlib

import pytest

from wsconform.harness import cli, settings
from wsconform.harness.settings import ConfigError, apply_config, find_config, load_config


def command_parser() -> argparse.ArgumentParser:
    args = cli.build_parser().parse_args(["test-server", "ws://127.0.0.1:9/"])
    parser: argparse.ArgumentParser = args.command_parser
    return parser


def configured(argv: list[str]) -> argparse.Namespace:
    parser = command_parser()
    return apply_config(parser.parse_args(argv), parser, argv)


CONFIG = """\
catalog = "all"
cases = ["1.*", "2.*"]
outdir = "from-file"
formats = ["json", "junit"]
jobs = 3
[target]
command = "server --port {port}"
env = { A = "1" }
[timers]
open-timeout = 2.5
connect-timeout = 3
[gate]
fail-on = "non-strict"
"""


def test_the_module_exports_what_it_lists() -> None:
    assert all(hasattr(settings, name) for name in settings.__all__)


def test_the_file_gives_the_defaults(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wsconform.toml").write_text(CONFIG)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    args = configured([])
    assert args.cases == ["1.*", "2.*"]
    assert args.catalog == "all"
    assert args.outdir == "from-file"
    assert args.formats == ("json", "junit")
    assert args.jobs == 3
    assert args.target_cmd == "server --port {port}"
    assert args.target_env == ["A=1"]
    assert args.open_timeout == 2.5
    assert args.connect_timeout == 3.0
    assert args.fail_on == "non-strict"


def test_flags_override_the_file(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wsconform.toml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    args = configured(["--cases", "9.1.1", "--outdir", "flag", "-j", "16", "--open-timeout", "7"])
    assert args.cases == ["9.1.1"]
    assert args.outdir == "flag"
    assert args.jobs == 16
    assert args.open_timeout == 7.0
    assert args.formats == ("json", "junit")


def test_the_url_from_the_file_and_from_the_command_line(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wsconform.toml").write_text('[target]\nurl = "ws://127.0.0.1:1/"\n')
    monkeypatch.chdir(tmp_path)
    assert configured([]).url == "ws://127.0.0.1:1/"
    assert configured(["ws://127.0.0.1:2/"]).url == "ws://127.0.0.1:2/"


def test_tool_wsconform_in_pyproject(tmp_path: pathlib.Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.wsconform]\njobs = 2\n')
    assert find_config(tmp_path) == (tmp_path / "pyproject.toml", True)
    assert load_config(tmp_path / "pyproject.toml", pyproject=True) == {"jobs": 2}


def test_a_pyproject_without_the_table_is_not_a_config(tmp_path: pathlib.Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    found = find_config(tmp_path)
    assert found is None or found[0].parent != tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1\n", "unknown key 'colour'"),
        ("[target]\nimage = 'x'\n", "unknown key 'target.image'"),
        ("jobs = 'four'\n", "jobs must be an integer"),
        ("[timers]\nopen-timeout = 'slow'\n", "timers.open-timeout must be a number"),
        ("formats = ['pdf']\n", "formats must be unknown report format(s) pdf"),
        ("target = 3\n", "target must be a table"),
        ("[gate]\nfail-on = 'never'\n", "gate.fail-on must be one of failed, non-strict"),
        ("jobs = \n", "not TOML"),
        ("catalog = 'mine'\n", 'catalog must be one of "autobahn", "wsconform", "all"'),
    ],
)
def test_bad_files_are_one_line(tmp_path: pathlib.Path, text: str, message: str) -> None:
    path = tmp_path / "wsconform.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}"), str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_key_is_exit_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[gate]\nfail-on = 'failed'\nstrict = true\n")
    assert cli.main(["test-server", "--config", str(path), "ws://127.0.0.1:9/"]) == 2
    assert capsys.readouterr().err == (
        f"wsconform test-server: {path}: unknown key 'gate.strict'\n"
    )


def test_a_missing_config_file_is_exit_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none.toml"
    assert cli.main(["test-server", "--config", str(path)]) == 2
    assert capsys.readouterr().err == f"wsconform test-server: {path}: no such file\n"


def test_strict_from_the_file(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert configured([]).strict is False
    (tmp_path / "wsconform.toml").write_text("strict = true\n")
    assert configured([]).strict is True


def fuzz_configured(argv: list[str]) -> argparse.Namespace:
    args = cli.build_parser().parse_args(["fuzz", *argv])
    parser: argparse.ArgumentParser = args.command_parser
    return apply_config(parser.parse_args(argv), parser, argv)


FUZZ_CONFIG = """\
jobs = 3
outdir = "servers"
cases = ["1.*"]
[fuzz]
seed = 7
max-examples = 500
time-budget = 60
jobs = 2
database = ":memory:"
corpus = "ci/corpus"
tolerate = ["utf8-at-end"]
"""


def test_fuzz_reads_only_its_table(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wsconform.toml").write_text(FUZZ_CONFIG)
    args = fuzz_configured(["ws://127.0.0.1:9/"])
    assert (args.seed, args.max_examples, args.time_budget, args.jobs) == (7, 500, 60.0, 2)
    assert (args.database, args.corpus, args.tolerate) == (":memory:", "ci/corpus", ["utf8-at-end"])
    assert args.outdir == "reports/fuzz"  # the top level is test-server's
    # ... and test-server reads everything but [fuzz].
    server = configured([])
    assert (server.jobs, server.outdir, server.cases) == (3, "servers", ["1.*"])


def test_fuzz_flags_override_the_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "wsconform.toml").write_text(FUZZ_CONFIG)
    args = fuzz_configured(
        ["ws://127.0.0.1:9/", "--seed", "1", "-j", "1", "--tolerate", "unmasked-accepted"]
    )
    assert (args.seed, args.jobs, args.max_examples) == (1, 1, 500)
    assert args.tolerate == ["unmasked-accepted"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[fuzz]\nseeds = 1\n", "unknown key 'fuzz.seeds'"),
        ("[fuzz]\nmax-examples = 'many'\n", "fuzz.max-examples must be an integer"),
        ("[fuzz]\ntolerate = ['none']\n", "fuzz.tolerate must be known deviations"),
    ],
)
def test_a_bad_fuzz_table_is_exit_2_for_both_commands(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    for command in ("fuzz", "test-server"):
        assert cli.main([command, "--config", str(path), "ws://127.0.0.1:9/"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"wsconform {command}: {path}: {message}"), err
        assert err.count("\n") == 1
