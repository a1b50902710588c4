"""One entry point that writes every report file of a run: :func:`write_reports`.

Every renderer has one small interface: a function from the
:class:`~.collection.Collection` to the (file name, text) pairs it produces. The
collection is built once, before anything is written, so the formats cannot disagree;
this module alone touches the disk, writing each file atomically and removing the files
of earlier runs that this run replaced (:attr:`~.collection.Collection.stale_files`).
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Callable, Iterable, Iterator

from .atomic import write_text
from .collection import Collection
from .exceptions import ReportError
from .html import html_files
from .json_report import json_files
from .junit import junit_files
from .markdown import markdown_files
from .model import case_file_name, clean_agent, target_log_name

__all__ = [
    "FORMATS",
    "RENDERERS",
    "Renderer",
    "add_report_arguments",
    "parse_formats",
    "write_reports",
]

#: A renderer: the collection in, (file name, text) pairs out.
Renderer = Callable[[Collection], Iterator[tuple[str, str]]]

#: Every report format and its renderer, in the order they are written.
RENDERERS: dict[str, Renderer] = {
    "json": json_files,
    "html": html_files,
    "junit": junit_files,
    "markdown": markdown_files,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def parse_formats(text: str) -> tuple[str, ...]:
    """``"json,html"`` -> ``("json", "html")`` in :data:`FORMATS` order; ``"all"`` = all.

    Raises:
        argparse.ArgumentTypeError: an unknown or empty format list (argparse turns it
            into a usage error, exit 2).
    """
    names = {name.strip().lower() for name in text.split(",") if name.strip()}
    if "all" in names:
        return FORMATS
    unknown = sorted(names - set(FORMATS))
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown report format(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(FORMATS)} or all"
        )
    return tuple(name for name in FORMATS if name in names)


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--format`` (comma-separated, default all)."""
    parser.add_argument(
        "--format",
        dest="formats",
        metavar="LIST",
        type=parse_formats,
        default=FORMATS,
        help=f"report formats to write, comma-separated: {','.join(FORMATS)} or all (default: all)",
    )


def _check_prefixes(collection: Collection) -> None:
    seen: dict[str, str] = {}
    for agent in collection.agents:
        prefix = clean_agent(agent)
        if prefix in seen:
            raise ReportError(
                pathlib.Path(case_file_name(agent, "1.1.1")),
                f"agents {seen[prefix]!r} and {agent!r} give the same file names",
            )
        seen[prefix] = agent


def write_reports(
    collection: Collection, outdir: pathlib.Path | str, formats: Iterable[str] = FORMATS
) -> list[pathlib.Path]:
    """Write the chosen formats of ``collection`` into ``outdir``; return every path written.

    Raises:
        ReportError: the directory cannot be created or written, or two agents give the
            same file names.
        ValueError: an unknown format name.
    """
    chosen = [name for name in FORMATS if name in set(formats)]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats: {', '.join(sorted(unknown))}")
    _check_prefixes(collection)
    out = pathlib.Path(outdir)
    written: list[pathlib.Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in chosen:
            for file_name, text in RENDERERS[name](collection):
                path = out / file_name
                write_text(path, text)
                written.append(path)
        # The output of targets this run started, whatever the formats (docs/targets.md).
        for agent, text in collection.target_logs.items():
            path = out / target_log_name(agent)
            write_text(path, text)
            written.append(path)
        # Only the formats written now replace their files of earlier runs.
        suffixes = {".json"} if "json" in chosen else set()
        suffixes |= {".html"} if "html" in chosen else set()
        for file_name in collection.stale_files:
            if pathlib.PurePath(file_name).suffix in suffixes:
                (out / file_name).unlink(missing_ok=True)
    except OSError as exc:
        raise ReportError(out, exc.strerror or str(exc)) from exc
    return written
