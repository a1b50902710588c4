"""The case-selection options shared by ``test-server`` and ``test-client``.

``--cases`` and ``--exclude`` take Autobahn's case patterns (``docs/autobahn.md``),
comma-separated or repeated; ``--shard I/N`` keeps a deterministic share of what they
select (:mod:`wsconform.harness.runner.shards`); ``--catalog`` says which catalog the
patterns look into (docs/catalogs.md). :func:`add_case_arguments` declares
them on a command's parser and :func:`cases_from_args` turns the parsed values into the
cases to run, so that every command selects cases the one same way; an option that
changes the selection belongs in both functions, not in a command.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from wsconform.cases import catalog
from wsconform.cases.exceptions import CaseError
from wsconform.cases.model import Case
from wsconform.harness.runner.shards import ShardError, parse_shard, shard

__all__ = [
    "UsageError",
    "add_case_arguments",
    "add_strict_argument",
    "cases_from_args",
    "catalog_for",
    "patterns",
    "select_cases",
]


class UsageError(Exception):
    """A bad argument, found before any case ran; the message is shown as it is."""


def add_case_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--catalog``, ``--cases``, ``--exclude``, ``--strict`` and ``--shard``."""
    parser.add_argument(
        "--catalog",
        choices=sorted(catalog.CATALOGS),
        help="which cases the patterns look into: Autobahn's 517 (autobahn), "
        "wsconform's own families (wsconform) or both (all); default autobahn, or all "
        "when --cases is given (docs/catalogs.md)",
    )
    parser.add_argument(
        "--cases",
        action="append",
        metavar="PATTERNS",
        help="case ids or patterns, comma-separated or repeated (default: *)",
    )
    parser.add_argument(
        "--exclude", action="append", metavar="PATTERNS", help="case patterns to leave out"
    )
    add_strict_argument(parser)
    parser.add_argument(
        "--shard",
        metavar="I/N",
        help="run shard I of N of the selected cases, balanced by expected cost; join "
        "the shards' reports with `wsconform merge` (docs/ci.md)",
    )


def add_strict_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--strict``: the strict profile's SHOULD-level rules (docs/strict.md)."""
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also judge SHOULD-level rules where Autobahn is lenient: a case that misses "
        "one is NON-STRICT instead of OK (docs/strict.md)",
    )


def patterns(values: Sequence[str] | None) -> list[str]:
    """Comma-separated or repeated patterns as one list: ``["1.*,2.1", "3.*"]`` ->
    ``["1.*", "2.1", "3.*"]`` (empty items dropped)."""
    return [p.strip() for value in values or () for p in value.split(",") if p.strip()]


def catalog_for(name: str | None, cases: Sequence[str] | None) -> str:
    """The catalog a selection looks into: ``name`` when given; otherwise ``all`` when
    case patterns are given (a pattern such as ``hs.*`` then finds wsconform's cases)
    and ``autobahn`` when none are, so that a plain run stays Autobahn's 517."""
    if name is not None:
        return name
    return "all" if patterns(cases) else "autobahn"


def select_cases(
    cases: Sequence[str] | None,
    exclude: Sequence[str] | None,
    *,
    catalog_name: str | None = None,
    target: str | None = None,
) -> list[Case]:
    """The cases chosen by comma-separated or repeated patterns, in catalog order.

    ``catalog_name`` is ``--catalog`` (see :func:`catalog_for`); ``target`` keeps only
    the cases that test that kind of peer (``"server"`` or ``"client"``).

    Raises:
        UsageError: a pattern names no case or does not compile, or nothing is selected.
    """
    name = catalog_for(catalog_name, cases)
    if name not in catalog.CATALOGS:
        raise UsageError(f"unknown catalog {name!r} (choose from {', '.join(catalog.CATALOGS)})")
    try:
        selected = catalog.select(
            patterns(cases) or ["*"], patterns(exclude), catalog=name, target=target
        )
    except CaseError as exc:
        raise UsageError(str(exc)) from exc
    if not selected:
        raise UsageError("the case patterns select no case")
    return selected


def cases_from_args(
    args: argparse.Namespace,
    *,
    default: Sequence[str] = (),
    exclude: Sequence[str] = (),
    target: str | None = None,
) -> list[Case]:
    """The cases the options of :func:`add_case_arguments` select.

    ``default`` stands for ``--cases`` when it is not given and ``exclude`` is added to
    ``--exclude`` (a spec file's ``cases`` and ``exclude-cases``); ``--shard`` then
    keeps its share. ``target`` is the kind of peer under test (``"server"``,
    ``"client"``): cases about the other kind are left out.

    Raises:
        UsageError: a bad pattern or ``--shard``, or nothing is selected.
    """
    chosen = select_cases(
        args.cases or list(default),
        [*exclude, *(args.exclude or [])],
        # A spec file's ``cases`` (``default``) are Autobahn's patterns: only patterns
        # given on the command line widen the search to every catalog.
        catalog_name=catalog_for(getattr(args, "catalog", None), args.cases),
        target=target,
    )
    share = args.shard
    if share is None:
        return chosen
    try:
        index, count = parse_shard(share)
    except ShardError as exc:
        raise UsageError(str(exc)) from None
    return shard(chosen, index, count)
