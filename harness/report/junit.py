"""JUnit XML for CI dashboards: one ``<testsuite>`` per agent, one ``<testcase>`` per case.

The file validates against the JUnit schema that Jenkins, GitLab and most dashboards
read (the "junit-10" XSD, kept in ``tests/harness/report/junit-10.xsd``). Per case, by
folded verdict (:mod:`.outcome`):

* FAILED: ``<failure message="result text" type="behavior/behaviorClose">`` whose body
  gives both verdicts with their texts, the per-case page and the command that replays
  it.
* harness error: ``<error>`` with the message and traceback; an error outside any case
  becomes a test case of its own, so a broken run is never green.
* UNIMPLEMENTED: ``<skipped>`` (the schema allows only text in it).
* NON-STRICT and INFORMATIONAL pass, with a ``<system-out>`` note saying so.

``classname`` is ``<section>.<subsection>`` in words (``1 Framing.1-1 Text Messages``;
dots inside ids and titles would split the name into packages, so they become ``-``),
prefixed with the agent's file-name form when the report holds several agents; ``name``
is the case id and the start of its description.
"""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from wsconform import __version__
from wsconform.cases.catalog import section_title, subsection_title
from wsconform.cases.ids import section_label, subsection_label
from wsconform.harness.record.outcome import Outcome

from .collection import ERROR, Collection, Entry
from .model import HarnessError, clean_agent

__all__ = ["JUNIT_FILE", "classname", "junit_files", "junit_xml", "short_description"]

JUNIT_FILE = "junit.xml"
_SHORT = 80
_TAG = re.compile(r"<[^>]*>")
#: Characters XML 1.0 cannot carry at all (a peer's close reason may contain them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def short_description(description: str | None, limit: int = _SHORT) -> str:
    """A description as one plain line of at most ``limit`` characters, cut at a word."""
    if not description:
        return ""
    text = " ".join(_TAG.sub(" ", description).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"


def classname(case_id: str, agent: str | None = None) -> str:
    """``<n> <section title>[.<x-y> <subsection title>]``, with an agent prefix if given."""
    label = section_label(case_id)
    names = [f"{label} {section_title(label)}"]
    sub = subsection_label(case_id)
    if sub is not None:
        title = subsection_title(sub)
        names.append(sub.replace(".", "-") + (f" {title}" if title else ""))
    if agent is not None:
        names.insert(0, clean_agent(agent))
    return ".".join(name.replace(".", "-") for name in names)


def _seconds(ms: int | None) -> str:
    return f"{(ms or 0) / 1000:.3f}"


def _failure_body(entry: Entry) -> str:
    lines = [
        f"behavior: {entry.behavior}: {entry.result_text or '(no text)'}",
        f"behaviorClose: {entry.behavior_close}: {entry.result_close_text or '(no text)'}",
        f"remote close code: {entry.remote_close_code}",
        f"details: {entry.html_file} (wire log, events, close details)",
    ]
    if entry.result is not None and entry.result.reproduce is not None:
        lines.append(f"reproduce: {entry.result.reproduce}")
    return "\n".join(lines)


def _error_element(parent: ET.Element, errors: list[HarnessError]) -> None:
    for error in errors:
        element = ET.SubElement(parent, "error", message=_xml(error.message), type="harness error")
        element.text = _xml(error.traceback or error.message)


def _testcase(suite: ET.Element, collection: Collection, agent: str, case_id: str) -> str:
    """Add one test case; return its state (an outcome label or ``ERROR``)."""
    entry = collection.entry(agent, case_id)
    state = collection.state(agent, case_id)
    prefix = agent if len(collection.agents) > 1 else None
    name = f"{case_id} {short_description(collection.description(case_id))}".strip()
    testcase = ET.SubElement(
        suite,
        "testcase",
        name=_xml(name),
        classname=_xml(classname(case_id, prefix)),
        time=_seconds(entry.duration_ms if entry and state != ERROR else 0),
    )
    if state == ERROR or entry is None:
        _error_element(testcase, collection.errors(agent, case_id))
        return ERROR
    outcome = entry.outcome
    if outcome is Outcome.FAILED:
        message = entry.reason
        failure = ET.SubElement(
            testcase,
            "failure",
            message=_xml(message),
            type=f"{entry.behavior}/{entry.behavior_close}",
        )
        failure.text = _xml(_failure_body(entry))
    elif outcome is Outcome.UNIMPLEMENTED:
        skipped = ET.SubElement(testcase, "skipped")
        skipped.text = _xml(entry.result_text or "not implemented by the peer")
    elif outcome in (Outcome.NON_STRICT, Outcome.INFORMATIONAL):
        out = ET.SubElement(testcase, "system-out")
        out.text = _xml(
            f"{outcome.label}: passes, but note: behavior {entry.behavior} "
            f"({entry.result_text or '-'}); behaviorClose {entry.behavior_close} "
            f"({entry.result_close_text or '-'})"
        )
    return outcome.label


def junit_xml(collection: Collection, timestamp: datetime.datetime | None = None) -> str:
    """The JUnit XML document of a collection."""
    moment = timestamp or datetime.datetime.now(datetime.UTC)
    stamp = moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    root = ET.Element("testsuites", name="wsconform")
    totals = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for agent in collection.agents:
        suite = ET.SubElement(root, "testsuite", name=_xml(agent), tests="0")
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="wsconform.version", value=__version__)
        states = []
        for case_id in collection.case_ids:
            if collection.state(agent, case_id) == "MISSING":
                continue
            states.append(_testcase(suite, collection, agent, case_id))
        run_errors = [e for e in collection.run_errors if e.agent == agent]
        if run_errors:
            testcase = ET.SubElement(
                suite, "testcase", name="run", classname="wsconform", time="0.000"
            )
            _error_element(testcase, run_errors)
            states.append(ERROR)
        seconds = sum((e.duration_ms or 0) for e in collection.entries(agent)) / 1000
        counts = {
            "tests": len(states),
            "failures": states.count(Outcome.FAILED.label),
            "errors": states.count(ERROR),
            "skipped": states.count(Outcome.UNIMPLEMENTED.label),
        }
        for key, value in counts.items():
            suite.set(key, str(value))
        suite.set("time", f"{seconds:.3f}")
        suite.set("timestamp", stamp)
        for key in ("tests", "failures", "errors"):
            totals[key] += counts[key]
        totals["time"] += seconds
    for key in ("tests", "failures", "errors"):
        root.set(key, str(int(totals[key])))
    root.set("time", f"{totals['time']:.3f}")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def junit_files(collection: Collection) -> Iterator[tuple[str, str]]:
    """(file name, text) of ``junit.xml``."""
    yield JUNIT_FILE, junit_xml(collection)
