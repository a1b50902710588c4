"""The HTML report: views, escaping, the index matrix, per-case and error pages."""

from __future__ import annotations

import dataclasses
import html.parser
import pathlib
import re

from wsconform.cases import catalog
from wsconform.cases.model import Message, Pong, Timeout
from wsconform.harness.record.observation import KillAfterArmed, Observation, RxFrame
from wsconform.harness.report import html as html_module
from wsconform.harness.report import html_views
from wsconform.harness.report.collection import Collection
from wsconform.harness.report.html import (
    render_case_page,
    render_error_page,
    render_index,
)
from wsconform.harness.report.html_views import (
    STATE_CSS,
    cell,
    event_rows,
    event_text,
    hex_rows,
    safe_description,
    who_closed,
    wirelog_lines,
)
from wsconform.harness.report.json_report import decode_reason
from wsconform.harness.report.model import CaseResult, HarnessError, Report

from .sample import BAD, GOOD, MASK, sample_report, write


class _Tags(html.parser.HTMLParser):
    """Collects start tags with their attributes, and fails on unbalanced structure."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser.tags


def _result(report: Report, agent: str, case_id: str) -> CaseResult:
    result = report.get(agent, case_id)
    assert result is not None
    return result


def test_exports() -> None:
    for module in (html_module, html_views):
        for name in module.__all__:
            assert hasattr(module, name), name


# --- views ---------------------------------------------------------------------------


def test_safe_description_whitelists_b_and_br_only() -> None:
    text = 'MESSAGE:<br><b>bold</b><BR/> <i>x</i> <script>alert(1)</script> <b onclick="x">'
    out = str(safe_description(text))
    assert "<br><b>bold</b><br>" in out
    assert "&lt;i&gt;x&lt;/i&gt;" in out
    assert "&lt;script&gt;" in out and "<script" not in out
    assert "&lt;b onclick=&#34;x&#34;&gt;" in out


def test_hex_rows() -> None:
    rows = hex_rows(bytes(range(0x41, 0x41 + 20)) + b"\x00\xff")
    assert [r.offset for r in rows] == ["0000", "0010"]
    assert rows[0].hex == "41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50"
    assert rows[0].ascii == "ABCDEFGHIJKLMNOP"
    assert rows[1].hex == "51 52 53 54 00 ff"
    assert rows[1].ascii == "QRST.."
    assert hex_rows(b"") == []


def test_event_text_and_rows() -> None:
    assert event_text(Message(b"Hello")) == "text message, 5 B: Hello"
    assert event_text(Message(b"\xfe\xff", True)) == "binary message, 2 B: 0xfeff"
    assert event_text(Pong(b"")) == "pong, 0 B: "
    assert event_text(Timeout("A")) == "timeout marker A"
    rows = event_rows(
        [Message(b"a"), Message(b"c")],
        {"OK": (Message(b"a"), Message(b"b")), "NON-STRICT": ()},
    )
    assert [(r.index, r.observed) for r in rows] == [
        (1, "text message, 1 B: a"),
        (2, "text message, 1 B: c"),
    ]
    assert rows[0].expected == [("text message, 1 B: a", True), (None, False)]
    assert rows[1].expected == [("text message, 1 B: b", False), (None, False)]
    assert event_rows([], {"OK": ()}) == []


def test_wirelog_lines_mark_frames_and_dump_octets() -> None:
    result = _result(sample_report(), BAD, "1.1.2")
    lines = wirelog_lines(result.observation)
    kinds = [line.kind for line in lines]
    assert kinds[:2] == ["tx-octets", "rx-octets"]  # the handshake
    assert "tx-frame" in kinds and "rx-frame" in kinds
    assert kinds[-1] == "tcp"
    assert [line.number for line in lines] == list(range(1, len(lines) + 1))
    frame = lines[kinds.index("tx-frame")]
    assert frame.label == "TX FRAME"
    assert f"mask={MASK.hex()}" in frame.summary
    assert "opcode=1 (TEXT), fin=1, rsv=0, payload 125 B" in frame.summary
    octets = lines[kinds.index("tx-frame") + 1]
    assert octets.kind == "tx-octets"
    # 125 B payload + 2 B header + 4 B mask: 64 kept, 67 not.
    assert len(octets.rows) == 4 and octets.more == 131 - 64
    assert octets.rows[0].hex.startswith("81 fd a1 b2 c3 d4")
    close = [line for line in lines if "(CLOSE)" in line.summary]
    assert close and "close code 1000" in close[0].summary
    assert lines[-1].summary == "TCP connection closed by the peer"


def test_wirelog_lines_of_timers() -> None:
    result = _result(sample_report(), BAD, "6.3.1")
    labels = [line.label for line in wirelog_lines(result.observation)]
    assert "KILL AFTER" in labels and "KILL" in labels
    assert wirelog_lines(result.observation)[-1].summary == "TCP connection closed by the tester"


def test_who_closed() -> None:
    assert who_closed(Observation(closed_by_me=True)).startswith("the tester")
    assert who_closed(Observation(remote_close_code=1002)).startswith("the peer")
    assert who_closed(Observation()).startswith("nobody")


def test_local_reason_hex_for_invalid_utf8() -> None:
    result = _result(sample_report(), BAD, "1.1.1")
    result.observation.local_close_reason = b"\xff\xfe"
    assert decode_reason(result) == "fffe"
    result.observation.local_close_reason = b"Going Away"
    assert decode_reason(result) == "Going Away"
    seven = catalog.get("7.5.1")
    assert seven.hex_local_close_reason


def test_cells() -> None:
    c = Collection.of(sample_report())
    pages = frozenset({"brokenserver_1_0_case_1_1_2.html"})
    failed = cell(c, BAD, "1.1.2", pages)
    assert (failed.state, failed.css, failed.text) == ("FAILED", "v-failed", "Fail")
    assert failed.href == "brokenserver_1_0_case_1_1_2.html"
    assert failed.detail == "1000"
    # Without a page the cell links the JSON file.
    assert cell(c, BAD, "1.1.1", frozenset()).href == "brokenserver_1_0_case_1_1_1.json"
    wrong = cell(c, BAD, "7.7.1", pages)
    assert wrong.detail == "wrong code 1002"
    error = cell(c, BAD, "5.1", pages)
    assert (error.state, error.css, error.href) == (
        "ERROR",
        "v-error",
        "brokenserver_1_0_case_5_1.html",
    )
    assert "ConnectionResetError" in error.title
    missing = cell(c, GOOD, "2.2", pages)
    assert (missing.state, missing.href) == ("MISSING", None)
    unimplemented = cell(c, BAD, "12.1.1", pages)
    assert unimplemented.css == STATE_CSS["UNIMPLEMENTED"]
    assert "ms" in unimplemented.detail  # report_time cases show their duration


# --- pages ---------------------------------------------------------------------------


def _offline(text: str) -> None:
    """Nothing is loaded from elsewhere: no external links, images, scripts or styles."""
    for tag, attrs in _tags(text):
        assert tag not in ("img", "link", "iframe"), tag
        assert "src" not in attrs, (tag, attrs)
        href = attrs.get("href") or ""
        assert not re.match(r"^[a-z]+:", href), href


def test_index() -> None:
    text = render_index(Collection.of(sample_report()), frozenset())
    _offline(text)
    tags = _tags(text)
    rows = [a for t, a in tags if t == "tr" and "case-row" in (a.get("class") or "")]
    assert len(rows) == 9
    all_ok = [a["data-case"] for a in rows if "all-ok" in (a.get("class") or "")]
    assert all_ok == ["1.1.1"]  # the only case both agents pass
    cells = [a for t, a in tags if t == "td" and "cell" in (a.get("class") or "")]
    assert len(cells) == 18
    states = [a["data-state"] for a in cells]
    assert states.count("FAILED") == 3 and states.count("ERROR") == 1
    sections = [
        a["id"] for t, a in tags if t == "tr" and "section-row" in (a.get("class") or "").split()
    ]
    assert sections == [f"section-{n}" for n in (1, 2, 3, 5, 6, 7, 12)]
    assert "1 Framing" in text and "1.1 Text Messages" in text
    # Filter: the script toggle, and the no-script anchor whose target opens the page
    # (a sibling before the table, at the top so that following it scrolls nothing).
    assert 'id="only-problems"' in text and 'href="#problems"' in text
    assert re.search(r'<body>\s*<span id="problems"></span>\s*<header>', text)
    assert "#problems:target ~ table.matrix tr.all-ok" in text
    assert "out of file descriptors" in text  # run-level harness error, shown apart


def test_index_marks_rows_where_everyone_is_ok() -> None:
    report = Report()
    full = sample_report()
    report.add(_result(full, GOOD, "1.1.1"))
    report.add(_result(full, GOOD, "1.1.2"))
    report.add(_result(full, BAD, "1.1.2"))
    text = render_index(Collection.of(report))
    tags = _tags(text)
    rows = {a["data-case"]: a.get("class") for t, a in tags if t == "tr" and a.get("data-case")}
    assert rows == {"1.1.1": "case-row", "1.1.2": "case-row"}  # BAD missing 1.1.1
    good_only = Report()
    good_only.add(_result(full, GOOD, "1.1.1"))
    text = render_index(Collection.of(good_only))
    assert 'class="case-row all-ok"' in text
    assert 'class="section-row all-ok"' in text


def test_case_page() -> None:
    report = sample_report()
    text = render_case_page(_result(report, BAD, "1.1.2"))
    _offline(text)
    assert 'class="summary v-failed"' in text
    assert "Send one text message of 125 bytes" in text
    assert "but a conforming peer sends text" in text
    # The sentence that explains the verdict comes first, inside the summary box.
    summary = text.index('id="summary"')
    assert summary < text.index('id="reason"') < text.index('id="description"')
    assert "Expected (OK)" in text and "text message, 124 B" in text
    assert 'class="mono diff"' in text
    assert "closedByMe" in text and "wasCloseHandshakeTimeout" in text
    assert "the tester (wsconform) sent the first close frame" in text
    assert "killAfter" in text and "12 ms" in text
    assert "GET / HTTP/1.1" in text and "101 Switching Protocols" in text
    assert "Octets received by chop size" in text
    assert "▶ TX FRAME" in text and "◀ RX FRAME" in text
    assert "0000  81 fd a1 b2 c3 d4" in text
    assert "more bytes not kept" in text
    assert "wsconform test-server ws://127.0.0.1:9001 --agent BrokenServer/1.0 --cases" in text
    assert 'href="index.html#case-1_1_2"' in text


def test_case_page_of_a_matched_alternative_and_informational() -> None:
    report = sample_report()
    text = render_case_page(_result(report, BAD, "3.2"))
    assert "Expected (NON-STRICT) ✓ matched" in text
    assert 'class="summary v-non-strict"' in text
    info = render_case_page(_result(report, BAD, "7.1.6"))
    assert 'class="summary v-informational"' in info


def test_case_page_escapes_what_the_peer_sent() -> None:
    report = sample_report()
    result = _result(report, BAD, "7.7.1")
    result.observation.remote_close_reason = "<script>alert(1)</script>"
    result.observation.http_response = "HTTP/1.1 101 OK\r\nServer: <img src=x>\r\n\r\n"
    text = render_case_page(result)
    assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text


def test_error_page() -> None:
    error = HarnessError(BAD, "5.1", "ConnectionRefusedError: nope", "Traceback ...\n  <frame>")
    text = render_error_page(BAD, "5.1", [error], "A <b>fragmented</b> text")
    _offline(text)
    assert 'class="summary v-error"' in text
    assert "ConnectionRefusedError: nope" in text
    assert "&lt;frame&gt;" in text
    assert "A <b>fragmented</b> text" in text


def test_write_html(tmp_path: pathlib.Path) -> None:
    report = sample_report()
    written = write(report, tmp_path, ("html",))
    names = sorted(p.name for p in written)
    assert written[-1] == tmp_path / "index.html"  # written last, once its pages exist
    assert "brokenserver_1_0_case_5_1.html" in names  # the error page
    assert len(names) == 1 + 12 + 1  # index, 12 results, 1 error page
    index = (tmp_path / "index.html").read_text()
    # Every cell link points at a page that exists.
    for tag, attrs in _tags(index):
        href = attrs.get("href") or ""
        if tag == "a" and href.endswith(".html") and not href.startswith("#"):
            assert (tmp_path / href).exists(), href


def test_write_html_report_keeps_earlier_agents(tmp_path: pathlib.Path) -> None:
    full = sample_report()
    first = Report()
    for result in full.results(GOOD):
        first.add(result)
    write(first, tmp_path, ("json",))
    write(first, tmp_path, ("html",))
    second = Report()
    for result in full.results(BAD):
        second.add(result)
    write(second, tmp_path, ("json",))
    write(second, tmp_path, ("html",))
    index = (tmp_path / "index.html").read_text()
    assert GOOD in index and BAD in index
    assert 'href="goodserver_2_0_case_7_7_1.html"' in index


def test_case_page_says_what_the_tester_discarded_and_where_it_cut() -> None:
    report = sample_report()
    result = _result(report, BAD, "6.3.1")
    assert all(events == () for events in result.case.expected.values())
    obs = Observation(opened=True, failed_by_me=True)
    for i in range(7):
        obs.note_discarded(RxFrame(1, bytes([0xC0 + i]), 1, True, 0, False, None))
    for _ in range(3):
        obs.log(KillAfterArmed(1))
    obs.drop_entry()
    obs.drop_entry()
    text = render_case_page(dataclasses.replace(result, observation=obs))
    assert "No events were observed" not in text
    assert (
        "the tester failed the connection and discarded the 7 data frames that arrived "
        "from then on (the first 5 below)"
    ) in text
    discarded = text[
        text.index('id="discarded"') : text.index("</ol>", text.index('id="discarded"'))
    ]
    assert discarded.count("(discarded)") == 5
    assert "Truncated after 3 entries" in text and "the 2 entries that followed" in text
    _tags(text)


def test_case_page_without_discarded_frames_keeps_its_sentence() -> None:
    report = sample_report()
    result = _result(report, BAD, "6.3.1")
    obs = Observation(opened=True)
    text = render_case_page(dataclasses.replace(result, observation=obs))
    assert "No events were observed, and none were expected." in text
    assert 'id="discarded"' not in text and "Truncated after" not in text
