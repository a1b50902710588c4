"""The ``wsconform`` command line: every sub-command's help reads as plain text."""

from __future__ import annotations

import argparse
import re

import pytest

from wsconform.harness import cli
from wsconform.harness.cli import build_parser

#: reST that a docstring may carry but a terminal should not show.
_REST = re.compile(r"``|:(mod|class|func|data|meth|attr|exc):`")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_exports() -> None:
    for name in cli.__all__:
        assert hasattr(cli, name), name


def test_every_command_is_registered() -> None:
    assert {"test-server", "conformance", "compare", "cases"} <= set(_subcommands())


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_help_shows_no_rest_markup(name: str) -> None:
    text = _subcommands()[name].format_help()
    assert _REST.search(text) is None, text


def test_markup_is_detected() -> None:
    assert _REST.search("see :mod:`wsconform.harness.gate`")
    assert _REST.search("their ``index.json``")
