"""One entry point that writes every report file of a run: :func:`write_reports`.

The JSON report (Autobahn's layout) is written first, because it merges the output
directory's ``index.json``; the HTML index, JUnit file and Markdown summary are then
rendered from one :class:`~.collection.Collection` of this run plus the earlier entries
of that index, so runs of several agents into one directory give one report.
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Iterable

from .collection import Collection
from .html import write_html_report
from .json_report import write_json_report
from .junit import write_junit
from .markdown import write_markdown
from .model import Report

__all__ = ["FORMATS", "add_report_arguments", "parse_formats", "write_reports"]

#: Every report format, in the order they are written.
FORMATS: tuple[str, ...] = ("json", "html", "junit", "markdown")


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


def write_reports(
    report: Report, outdir: pathlib.Path | str, formats: Iterable[str] = FORMATS
) -> list[pathlib.Path]:
    """Write the chosen formats into ``outdir``; return every path written.

    Raises:
        ReportError: the directory cannot be created or written, two agents give the
            same file names, or an existing ``index.json`` there is not a report.
        ValueError: an unknown format name.
    """
    chosen = set(formats)
    unknown = chosen - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown report formats: {', '.join(sorted(unknown))}")
    out = pathlib.Path(outdir)
    written: list[pathlib.Path] = []
    if "json" in chosen:
        written += write_json_report(report, out)
    if chosen - {"json"}:
        collection = Collection.of(report, out)
        if "html" in chosen:
            written += write_html_report(report, out, collection)
        if "junit" in chosen:
            written.append(write_junit(report, out, collection))
        if "markdown" in chosen:
            written.append(write_markdown(report, out, collection))
    return written
