"""The case-selection options: one parser helper and one selection for every command."""

from __future__ import annotations

import argparse

import pytest

from wsconform.cases import catalog
from wsconform.harness.cli import build_parser
from wsconform.harness.commands.case_options import (
    UsageError,
    add_case_arguments,
    cases_from_args,
    catalog_for,
    patterns,
)
from wsconform.harness.runner.shards import shard


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_case_arguments(parser)
    return parser.parse_args(list(argv))


def _ids(args: argparse.Namespace, **kwargs: object) -> list[str]:
    return [case.id for case in cases_from_args(args, **kwargs)]  # type: ignore[arg-type]


def test_patterns_split_commas_and_join_repeats() -> None:
    assert patterns(["1.1.1, 2.*", "", "3.*,"]) == ["1.1.1", "2.*", "3.*"]
    assert patterns(None) == []


def test_cases_and_exclusions_select_in_catalog_order() -> None:
    ids = _ids(_args("--cases", "2.*,1.1.*", "--exclude", "1.1.2", "--exclude", "2.1*"))
    assert ids[0] == "1.1.1" and "1.1.2" not in ids
    assert not any(i.startswith("2.1") for i in ids) and "2.2" in ids


def test_a_spec_files_patterns_are_the_defaults_the_options_override() -> None:
    spec = {"default": ["1.1.*"], "exclude": ["1.1.8"]}
    assert _ids(_args(), **spec) == [f"1.1.{n}" for n in range(1, 8)]
    assert _ids(_args("--cases", "1.2.1"), **spec) == ["1.2.1"]
    assert _ids(_args("--exclude", "1.1.1"), **spec) == [f"1.1.{n}" for n in range(2, 8)]


def test_shard_keeps_its_share() -> None:
    whole = catalog.select(["1.*"], [])
    assert _ids(_args("--cases", "1.*", "--shard", "2/3")) == [c.id for c in shard(whole, 2, 3)]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--cases", "9.99"), "unknown case id"),
        (("--cases", "1.*", "--exclude", "1.*"), "select no case"),
        (("--shard", "4/3"), "--shard must be I/N"),
    ],
)
def test_bad_selections_are_usage_errors(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        cases_from_args(_args(*argv))


@pytest.mark.parametrize("command", ["test-server", "test-client"])
def test_both_commands_take_the_same_case_options(command: str) -> None:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    options = {o for a in action.choices[command]._actions for o in a.option_strings}
    assert {"--cases", "--exclude", "--shard"} <= options


def test_the_catalog_is_autobahns_unless_patterns_or_catalog_say_otherwise() -> None:
    assert catalog_for(None, None) == "autobahn"
    assert catalog_for(None, ["hs.*"]) == "all"
    assert catalog_for("wsconform", ["1.*"]) == "wsconform"
    assert len(cases_from_args(_args())) == 517
    assert _ids(_args("--catalog", "autobahn", "--cases", "1.1.1")) == ["1.1.1"]
    # A spec file's `cases` are Autobahn's patterns: they do not widen the catalog.
    assert len(cases_from_args(_args(), default=["*"])) == 517
    assert len(cases_from_args(_args("--catalog", "all"))) == len(catalog.CASES)


def test_a_target_kind_keeps_the_cases_about_it() -> None:
    for target in ("server", "client"):
        chosen = cases_from_args(_args("--catalog", "all"), target=target)
        assert all(case.applies_to_role(target) for case in chosen)
        assert {case.id for case in catalog.AUTOBAHN_CASES} <= {case.id for case in chosen}


def test_strict_is_an_option_of_every_command_that_judges() -> None:
    assert _args().strict is False and _args("--strict").strict is True
    parser = build_parser()
    for command in (["test-server", "ws://127.0.0.1:1/"], ["test-client"], ["conformance"]):
        assert parser.parse_args([*command, "--strict"]).strict is True, command
