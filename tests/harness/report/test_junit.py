"""JUnit XML: the mapping of verdicts to JUnit elements, and the schema CI dashboards use."""

from __future__ import annotations

import datetime
import pathlib

from lxml import etree

from wsconform.harness.report import junit
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.junit import classname, junit_xml, short_description
from wsconform.harness.report.model import HarnessError, Report

from .sample import BAD, GOOD, sample_report, write

_XSD = pathlib.Path(__file__).with_name("junit-10.xsd")


def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_XSD)))


def _validate(text: str) -> etree._Element:
    document = etree.fromstring(text.encode("utf-8"))
    schema = _schema()
    assert schema.validate(document), schema.error_log
    return document


def test_exports() -> None:
    for name in junit.__all__:
        assert hasattr(junit, name), name


def test_the_schema_rejects_what_it_must() -> None:
    """The schema file is a real check: shapes dashboards reject do not validate."""
    schema = _schema()
    bad_documents = [
        "<testsuites><testsuite name='a'/></testsuites>",  # tests is required
        "<testsuites><testsuite name='a' tests='1'><testcase/></testsuite></testsuites>",
        "<testsuites><testsuite name='a' tests='1'><testcase name='x'>"
        "<skipped message='no'/></testcase></testsuite></testsuites>",  # text only
        "<testsuites><testsuite name='a' tests='1'><testcase name='x'>"
        "<failure/><skipped/></testcase></testsuite></testsuites>",  # order
    ]
    for text in bad_documents:
        assert not schema.validate(etree.fromstring(text)), text


def test_sample_validates_and_maps_each_verdict() -> None:
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    document = _validate(junit_xml(Collection.of(sample_report()), moment))
    assert document.get("tests") == "14"
    assert document.get("failures") == "3"
    assert document.get("errors") == "2"  # one case error, one run error
    suites = document.findall("testsuite")
    assert [s.get("name") for s in suites] == [BAD, GOOD]
    bad = suites[0]
    assert (bad.get("tests"), bad.get("failures"), bad.get("errors"), bad.get("skipped")) == (
        "9",
        "3",
        "1",
        "1",
    )
    assert bad.get("timestamp") == "2024-01-02T03:04:05"
    cases = {c.get("name", "").split()[0]: c for c in bad.findall("testcase")}
    assert list(cases) == [
        "1.1.1",
        "1.1.2",
        "2.2",
        "3.2",
        "5.1",
        "6.3.1",
        "7.1.6",
        "7.7.1",
        "12.1.1",
    ]
    assert len(cases["1.1.1"]) == 0  # a plain pass
    failure = cases["1.1.2"].find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("The peer sent text") and "but a conforming peer sends" in message
    assert failure.get("type") == "FAILED/OK"
    assert "behaviorClose: OK" in (failure.text or "")
    assert "brokenserver_1_0_case_1_1_2.html" in (failure.text or "")
    both = cases["6.3.1"].find("failure")
    assert both is not None and "should have closed first with 1007" in (both.get("message") or "")
    close = cases["7.7.1"].find("failure")
    assert close is not None and "1002" in (close.get("message") or "")
    error = cases["5.1"].find("error")
    assert error is not None and "ConnectionResetError" in (error.get("message") or "")
    assert "Traceback" in (error.text or "")
    skipped = cases["12.1.1"].find("skipped")
    assert skipped is not None and "permessage-deflate" in (skipped.text or "")
    for note in ("3.2", "7.1.6"):
        out = cases[note].find("system-out")
        assert out is not None and "passes, but note" in (out.text or "")
        assert cases[note].find("failure") is None
    assert cases["1.1.2"].get("classname") == "brokenserver_1_0.1 Framing.1-1 Text Messages"
    assert cases["1.1.2"].get("time") == "0.012"
    good = suites[1]
    run = [c for c in good.findall("testcase") if c.get("name") == "run"]
    assert run and run[0].find("error") is not None


def test_single_agent_classnames_have_no_prefix() -> None:
    report = Report()
    full = sample_report()
    for result in full.results(BAD):
        report.add(result)
    document = _validate(junit_xml(Collection.of(report)))
    names = [c.get("classname") for c in document.iter("testcase")]
    assert names[0] == "1 Framing.1-1 Text Messages"
    assert "7 Close Handling.7-7 Close frame structure: valid close codes (fuzzer initiated)" in (
        names
    )


def test_classname_and_short_description() -> None:
    assert classname("6.23.1") == "6 UTF-8 Handling.6-23 Unicode specials (i-e- replacement char)"
    assert classname("2.1", "My Server!") == "my_server.2 Pings/Pongs"
    assert short_description("A <b>b</b><br>c") == "A b c"
    long = "word " * 40
    cut = short_description(long, 20)
    assert len(cut) <= 20 and cut.endswith("…")
    assert short_description(None) == ""


def test_characters_xml_cannot_carry_are_escaped() -> None:
    report = sample_report()
    result = report.get(BAD, "1.1.2")
    assert result is not None
    result.verdicts = type(result.verdicts)(
        result.verdicts.behavior,
        result.verdicts.behavior_close,
        "peer sent \x00\x1b and \ud800",
        result.verdicts.result_close,
    )
    report.add_error(HarnessError(GOOD, "2.2", "bad \x07 bell"))
    document = _validate(junit_xml(Collection.of(report)))
    messages = [f.get("message") for f in document.iter("failure")]
    assert "peer sent \\x00\\x1b and \\xd800" in messages


def test_empty_report_validates() -> None:
    document = _validate(junit_xml(Collection.of(Report())))
    assert document.get("tests") == "0"


def test_write_junit(tmp_path: pathlib.Path) -> None:
    path = write(sample_report(), tmp_path / "sub", ("junit",))[0]
    assert path == tmp_path / "sub" / "junit.xml"
    _validate(path.read_text(encoding="utf-8"))
