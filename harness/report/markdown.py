"""A Markdown summary for a CI job summary (``$GITHUB_STEP_SUMMARY`` and the like).

Totals per verdict and agent, a table per section, then the cases that are not OK with
their result texts, each linking to its HTML page. Links are relative to the output
directory (``link_base`` is prepended, e.g. the URL where the report is published).
The list of cases is bounded (:data:`MAX_LISTED`) so that a run with hundreds of
failures still gives a summary a CI page accepts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wsconform.harness.record.outcome import Outcome

from .collection import ERROR, MISSING, STATES, Collection
from .model import case_file_name

__all__ = ["MARKDOWN_FILE", "MAX_LISTED", "markdown_files", "markdown_summary"]

MARKDOWN_FILE = "summary.md"
#: Cases listed in the "not OK" table at most; the rest are counted.
MAX_LISTED = 200
_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def _md(text: str | None) -> str:
    """Text for a table cell: one line, Markdown and HTML specials escaped."""
    if not text:
        return ""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _totals(collection: Collection) -> list[str]:
    states = [s for s in STATES if s != MISSING]
    lines = [
        "| Agent | " + " | ".join(states) + " |",
        "|---|" + "---:|" * len(states),
    ]
    for agent in collection.agents:
        counts = collection.counts(agent)
        lines.append(f"| {_md(agent)} | " + " | ".join(str(counts[s]) for s in states) + " |")
    return lines


def _section_cell(counts: dict[str, int]) -> str:
    total = sum(n for s, n in counts.items() if s != MISSING)
    if not total:
        return "not run"
    parts = [f"{counts[s]} {s}" for s in STATES if s not in (MISSING, "OK") and counts.get(s)]
    ok = counts.get("OK", 0)
    return f"{ok}/{total} OK" + (" · " + ", ".join(parts) if parts else "")


def _sections(collection: Collection) -> list[str]:
    lines = [
        "| Section | " + " | ".join(_md(a) for a in collection.agents) + " |",
        "|---|" + "---|" * len(collection.agents),
    ]
    for section in collection.sections():
        cells = [
            _section_cell(dict(collection.counts(agent, section.case_ids)))
            for agent in collection.agents
        ]
        lines.append(f"| {section.number} {_md(section.title)} | " + " | ".join(cells) + " |")
    return lines


def _problems(collection: Collection, link_base: str) -> list[str]:
    rows = []
    for agent in collection.agents:
        for case_id in collection.case_ids:
            state = collection.state(agent, case_id)
            if state in (Outcome.OK.label, MISSING):
                continue
            entry = collection.entry(agent, case_id)
            if state == ERROR or entry is None:
                errors = collection.errors(agent, case_id)
                text = errors[0].message if errors else "harness error"
                page = case_file_name(agent, case_id, "html")
            else:
                text = entry.reason
                page = entry.html_file
            label = f"[{case_id}]({link_base}{page})" if page else case_id
            rows.append(f"| {_md(agent)} | {label} | {state} | {_md(text)} |")
    if not rows:
        return ["Every case is OK."]
    lines = ["| Agent | Case | Verdict | Result |", "|---|---|---|---|"]
    lines += rows[:MAX_LISTED]
    if len(rows) > MAX_LISTED:
        lines.append(f"\n… and {len(rows) - MAX_LISTED} more; see the HTML report.")
    return lines


def markdown_summary(collection: Collection, link_base: str = "") -> str:
    """The summary as Markdown text."""
    failed = sum(collection.counts(a)[Outcome.FAILED.label] for a in collection.agents)
    errors = sum(collection.counts(a)[ERROR] for a in collection.agents)
    errors += len(collection.run_errors)
    headline = "passed" if not failed and not errors else "failed"
    detail = f"{failed} failed case(s), {errors} harness error(s)"
    lines = [
        f"## wsconform: {headline} ({detail})",
        "",
        f"{len(collection.case_ids)} case(s), {len(collection.agents)} agent(s). "
        f"Full report: [index.html]({link_base}index.html).",
        "",
        "### Totals",
        "",
        *_totals(collection),
        "",
        "### Per section",
        "",
        *_sections(collection),
        "",
        "### Cases that are not OK",
        "",
        *_problems(collection, link_base),
    ]
    if collection.run_errors:
        lines += ["", "### Harness errors outside any case", ""]
        lines += [f"- {_md(e.agent)}: {_md(e.message)}" for e in collection.run_errors]
    return "\n".join(lines) + "\n"


def markdown_files(collection: Collection, link_base: str = "") -> Iterator[tuple[str, str]]:
    """(file name, text) of ``summary.md``; links are relative unless ``link_base``."""
    yield MARKDOWN_FILE, markdown_summary(collection, link_base)
