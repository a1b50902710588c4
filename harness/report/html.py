"""The HTML report: an index matrix of agents by cases, and one page per case.

Static files that work offline: the stylesheet and the filter script are inlined, there
are no external images or fonts. Rendered with Jinja2 (``templates/``) with autoescape
on; catalog texts go through :func:`~.html_views.safe_description`, which lets only
``<b>`` and ``<br>`` through.

* ``index.html``: legend, totals per agent, harness errors apart, then the matrix
  grouped by section (with per-section counts per agent) and subsection, each cell
  coloured by the case's folded verdict (:mod:`.outcome`) and linking to its page. Rows
  where every agent is OK carry the class ``all-ok``, which the "only cases that are not
  OK" toggle (a small inline script) or the ``#problems`` link (CSS ``:target``, no
  script needed) hides.
* ``<clean(agent)>_case_<id>.html``: per case, next to Autobahn's per-case JSON file.
  Pages are written for this run's results and harness errors; entries of earlier runs
  in the same directory keep the pages those runs wrote.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import pathlib
from collections.abc import Iterator
from typing import Any

import jinja2

from wsconform import __version__
from wsconform.cases.catalog import section_title

from .collection import ERROR, MISSING, STATES, Collection
from .html_views import (
    STATE_CSS,
    STATE_TEXT,
    Cell,
    cell,
    close_rows,
    discarded_lines,
    event_rows,
    opcode_name,
    safe_description,
    timing_rows,
    who_closed,
    wirelog_lines,
)
from .json_report import decode_reason
from .model import CaseResult, HarnessError, case_file_name, target_log_name

__all__ = [
    "INDEX_HTML",
    "LEGEND",
    "html_files",
    "render_case_page",
    "render_error_page",
    "render_index",
]

INDEX_HTML = "index.html"
_TEMPLATES = pathlib.Path(__file__).parent / "templates"

#: What each colour means, shown at the top of the index.
LEGEND: tuple[tuple[str, str], ...] = (
    ("OK", "the peer behaved as the RFC says"),
    ("NON-STRICT", "passes, but misses a SHOULD or the preferred behaviour"),
    ("INFORMATIONAL", "no judgement, behaviour only observed"),
    ("UNIMPLEMENTED", "an optional feature (permessage-deflate) is not offered"),
    ("FAILED", "violates a MUST of the RFC"),
    (ERROR, "harness error: no verdict, not counted against the target"),
    (MISSING, "not run for this agent"),
)


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(version=__version__, **context)


def _anchor(case_id: str) -> str:
    return case_id.replace(".", "_")


def _plain(text: str | None) -> str:
    """A catalog text for a ``title`` tooltip: the allowed tags become spaces."""
    if text is None:
        return ""
    for tag in ("<br>", "<br/>", "<br />", "<b>", "</b>"):
        text = text.replace(tag, " " if tag.startswith("<br") else "")
    return text


# --- the index ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Count:
    state: str
    css: str
    count: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Row:
    case_id: str
    anchor: str
    href: str | None
    description: str
    all_ok: bool
    cells: list[Cell]


@dataclasses.dataclass(frozen=True, slots=True)
class _Group:
    subsection: str | None
    title: str | None
    all_ok: bool
    rows: list[_Row]


@dataclasses.dataclass(frozen=True, slots=True)
class _Section:
    number: str
    title: str
    all_ok: bool
    counts: list[list[_Count]]
    groups: list[_Group]


def _counts(collection: Collection, agent: str, case_ids: list[str]) -> list[_Count]:
    counter = collection.counts(agent, case_ids)
    return [_Count(s, STATE_CSS[s], counter[s]) for s in STATES if counter[s]]


def _row(collection: Collection, case_id: str, pages: frozenset[str]) -> _Row:
    cells = [cell(collection, agent, case_id, pages) for agent in collection.agents]
    href = next((c.href for c in cells if c.href is not None), None)
    description = _plain(collection.description(case_id))
    return _Row(case_id, _anchor(case_id), href, description, collection.all_ok([case_id]), cells)


def render_index(collection: Collection, pages: frozenset[str] = frozenset()) -> str:
    """The ``index.html`` text; ``pages`` are the per-case HTML files that exist."""
    sections = []
    for section in collection.sections():
        groups = [
            _Group(
                group.subsection,
                group.title,
                collection.all_ok(group.case_ids),
                [_row(collection, case_id, pages) for case_id in group.case_ids],
            )
            for group in section.groups
        ]
        counts = [_counts(collection, agent, section.case_ids) for agent in collection.agents]
        all_ok = collection.all_ok(section.case_ids)
        sections.append(_Section(section.number, section.title, all_ok, counts, groups))
    totals = [
        {
            "agent": agent,
            "counts": [_Count(s, STATE_CSS[s], collection.counts(agent)[s]) for s in STATES],
        }
        for agent in collection.agents
    ]
    case_errors = [
        {"error": error, "href": case_file_name(error.agent, error.case_id or "", "html")}
        for error in collection.case_errors()
    ]
    problems = sum(not collection.all_ok([case_id]) for case_id in collection.case_ids)
    return _render(
        "index.html.j2",
        generated=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        agents=collection.agents,
        case_count=len(collection.case_ids),
        problem_count=problems,
        legend=[{"css": STATE_CSS[s], "text": STATE_TEXT[s], "meaning": m} for s, m in LEGEND],
        states=[{"text": STATE_TEXT[s]} for s in STATES],
        totals=totals,
        run_errors=collection.run_errors,
        case_errors=case_errors,
        target_logs=[
            {"agent": agent, "href": target_log_name(agent)}
            for agent in sorted(collection.target_logs)
        ],
        sections=sections,
    )


# --- per-case pages ----------------------------------------------------------------------


def _octet_table(title: str, stats: dict[int, int]) -> dict[str, Any]:
    rows = [[size, count, size * count] for size, count in sorted(stats.items())]
    total = ["Total", sum(r[1] for r in rows), sum(r[2] for r in rows)]
    return {
        "title": title,
        "header": ["Chop size", "Count", "Octets"],
        "rows": rows,
        "total": total,
    }


def _frame_table(title: str, stats: dict[int, int]) -> dict[str, Any]:
    rows = [[f"{op} ({opcode_name(op)})", count] for op, count in sorted(stats.items())]
    return {
        "title": title,
        "header": ["Opcode", "Count"],
        "rows": rows,
        "total": ["Total", sum(stats.values())],
    }


def render_case_page(result: CaseResult, errors: list[HarnessError] | None = None) -> str:
    """The per-case page of one result."""
    case, obs, verdicts = result.case, result.observation, result.verdicts
    outcome = result.outcome
    expected = {str(name): events for name, events in case.expected.items()}
    matched = next(
        (name for name, events in expected.items() if tuple(obs.received) == events), None
    )
    return _render(
        "case.html.j2",
        agent=result.agent,
        case_id=case.id,
        anchor=_anchor(case.id),
        section_title=section_title(case.section_label),
        outcome=outcome.label,
        outcome_css=STATE_CSS[outcome.label],
        outcome_text=STATE_TEXT[outcome.label],
        behavior=str(verdicts.behavior),
        behavior_close=str(verdicts.behavior_close),
        result=verdicts.result,
        result_close=verdicts.result_close,
        reason=verdicts.reason,
        duration_ms=result.duration_ms,
        started=result.started.isoformat(timespec="milliseconds"),
        description=safe_description(case.description),
        expectation=safe_description(case.expectation),
        expected_names=list(expected),
        matched=matched,
        event_rows=event_rows(obs.received, expected),
        received_truncated=obs.received_truncated,
        received_kept=len(obs.received),
        received_dropped=obs.received_dropped,
        discarded_frames=obs.discarded_frames,
        discarded=discarded_lines(obs),
        failed_by_me=obs.failed_by_me,
        expected_close=case.expected_close,
        who_closed=who_closed(obs),
        close_rows=close_rows(result, decode_reason(result)),
        timing_rows=timing_rows(result),
        reproduce=result.reproduce,
        errors=errors or [],
        http_request=obs.http_request or "(not recorded)",
        http_response=obs.http_response or "(not recorded)",
        stats=[
            _octet_table("Octets received by chop size", obs.rx_octet_stats),
            _octet_table("Octets transmitted by chop size", obs.tx_octet_stats),
            _frame_table("Frames received by opcode", obs.rx_frame_stats),
            _frame_table("Frames transmitted by opcode", obs.tx_frame_stats),
        ],
        create_wirelog=obs.create_wirelog,
        wirelog_truncated=obs.wirelog_truncated,
        wirelog_dropped=obs.wirelog_dropped,
        pongs_withheld=obs.pongs_withheld,
        wirelog=wirelog_lines(obs),
    )


def render_error_page(
    agent: str, case_id: str, errors: list[HarnessError], description: str | None = None
) -> str:
    """The page of a case that ended in harness errors, with their tracebacks."""
    return _render(
        "error.html.j2",
        agent=agent,
        case_id=case_id,
        anchor=_anchor(case_id),
        errors=errors,
        description=None if description is None else safe_description(description),
    )


# --- writing -----------------------------------------------------------------------------


def html_files(collection: Collection) -> Iterator[tuple[str, str]]:
    """(file name, text) of the per-case pages of this run, then of ``index.html``.

    Pages are written for this run's results and harness errors; entries of other
    agents keep the pages their run wrote (:attr:`Collection.pages`).
    """
    pages = set(collection.pages)
    for entry in collection.entries():
        if entry.result is not None:
            errors = collection.errors(entry.agent, entry.case_id)
            pages.add(entry.html_file)
            yield entry.html_file, render_case_page(entry.result, errors)
    for error in collection.case_errors():
        assert error.case_id is not None
        current = collection.entry(error.agent, error.case_id)
        name = case_file_name(error.agent, error.case_id, "html")
        if (current is not None and current.current) or name in pages:
            continue  # its case page lists the error, or the page is written already
        errors = collection.errors(error.agent, error.case_id)
        description = collection.description(error.case_id)
        pages.add(name)
        yield name, render_error_page(error.agent, error.case_id, errors, description)
    yield INDEX_HTML, render_index(collection, frozenset(pages))
