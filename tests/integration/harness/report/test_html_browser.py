"""The HTML report in a real browser (issue 6): headless Chromium renders the sample report.

The report of :mod:`tests.harness.report.sample` (every verdict, a harness error, wire
logs) is written with :func:`~wsconform.harness.report.render.write_reports` and opened
from disk (``file://``, as a person opens it; it must work offline) in Debian's
``chromium``, driven over CDP by :class:`tests.browser.Browser`. The tests assert on
what a person sees: the text and computed colours of the matrix cells, the harness
errors apart, the "only cases that are not OK" filter when clicked, and a per-case page
reached by clicking its cell, with its description, close details and wire log. The
screenshots are kept in ``tmp_path`` and in ``reports/test-artifacts/``.

Without Chromium the tests fail (CI installs it in ``.ci/run``); they never skip.
"""

from __future__ import annotations

import pathlib
import re
import shutil
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser import Browser, ChromiumNotFound
from tests.harness.report.sample import BAD, DEFECTS, GOOD, sample_report, write
from tests.timing import unit
from wsconform.harness.report import html as html_module

ROOT = pathlib.Path(__file__).resolve().parents[4]
ARTIFACTS = ROOT / "reports" / "test-artifacts"
STYLE_CSS = pathlib.Path(html_module.__file__).parent / "templates" / "style.css"

#: What a cell says for each state.
TEXT = {
    "OK": "Pass",
    "NON-STRICT": "Non-Strict",
    "INFORMATIONAL": "Info",
    "UNIMPLEMENTED": "Unimplemented",
    "FAILED": "Fail",
    "ERROR": "Error",
    "MISSING": "Missing",
}
#: The cases GoodServer ran (all OK); it misses the others.
GOOD_CASES = ("1.1.1", "1.1.2", "3.2", "7.7.1")
#: The matrix, case by case, in the order a person reads it: (BrokenServer, GoodServer).
EXPECTED = {
    case_id: (DEFECTS[case_id][0], "OK" if case_id in GOOD_CASES else "MISSING")
    for case_id in ("1.1.1", "1.1.2", "2.2", "3.2", "5.1", "6.3.1", "7.1.6", "7.7.1", "12.1.1")
}

_CELLS_JS = """
Array.from(document.querySelectorAll("#matrix tr.case-row")).map(tr => ({
  caseId: tr.querySelector("th").innerText.trim(),
  visible: tr.getBoundingClientRect().height > 0,
  cells: Array.from(tr.querySelectorAll("td")).map(td => {
    const style = getComputedStyle(td), box = td.getBoundingClientRect();
    const link = td.querySelector("a");
    return {
      state: td.dataset.state,
      lines: td.innerText.split("\\n").map(s => s.trim()).filter(Boolean),
      background: style.backgroundColor,
      image: style.backgroundImage,
      color: style.color,
      linkColor: link ? getComputedStyle(link).color : null,
      href: link ? link.getAttribute("href") : null,
      width: box.width,
      height: box.height,
    };
  }),
}))
"""


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = int(hex_colour.lstrip("#"), 16)
    return value >> 16, (value >> 8) & 0xFF, value & 0xFF


def _parse_rgb(css: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"rgb\((\d+), (\d+), (\d+)\)", css)
    assert match, f"not an opaque rgb() colour: {css!r}"
    r, g, b = (int(x) for x in match.groups())
    return r, g, b


def _css_colours() -> dict[str, tuple[int, int, int]]:
    """The verdict colours style.css defines, by state (``.v-failed`` -> ``FAILED``)."""
    found = re.findall(
        r"\.v-([a-z-]+) \{\s*background-color: (#[0-9a-f]{6});", STYLE_CSS.read_text()
    )
    return {name.upper(): _rgb(colour) for name, colour in found}


def _check_png(data: bytes, path: pathlib.Path, width: int) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert path.read_bytes() == data
    png_width, png_height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert png_width == width and png_height > 300, (png_width, png_height)
    assert len(data) > 20_000, "the screenshot is suspiciously small (a blank page?)"


def _keep(browser: Browser, tmp_path: pathlib.Path, name: str) -> None:
    """Screenshot the page to tmp_path and copy it to reports/test-artifacts/."""
    path = tmp_path / name
    data = browser.screenshot(path)
    _check_png(data, path, 1280)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, ARTIFACTS / name)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    outdir = tmp_path_factory.mktemp("report")
    write(sample_report(), outdir)
    assert (outdir / "index.html").is_file()
    return outdir


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing: str | None = None
    try:
        chromium = Browser()
    except ChromiumNotFound as exc:
        missing = str(exc)
    if missing is not None:  # fail, never skip: CI installs chromium (.ci/run)
        pytest.fail(missing, pytrace=False)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def index(browser: Browser, report_dir: pathlib.Path) -> Browser:
    browser.navigate((report_dir / "index.html").as_uri())
    assert browser.evaluate("document.readyState") == "complete"
    return browser


def _cells(browser: Browser) -> dict[str, dict[str, Any]]:
    rows = browser.evaluate(_CELLS_JS)
    return {row["caseId"].removeprefix("Case "): row for row in rows}


def test_matrix_shows_a_cell_per_case_and_agent(
    index: Browser, report_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    assert index.evaluate("document.title") == f"wsconform report: {BAD}, {GOOD}"
    # Offline: the stylesheet and script are inline, nothing else is fetched.
    assert index.evaluate("performance.getEntriesByType('resource').length") == 0
    agents = index.evaluate(
        "Array.from(document.querySelectorAll('#matrix thead th.agent')).map(th => th.innerText)"
    )
    assert agents == [BAD, GOOD]
    rows = _cells(index)
    assert list(rows) == list(EXPECTED)
    for case_id, states in EXPECTED.items():
        row = rows[case_id]
        assert row["visible"], case_id
        assert [c["state"] for c in row["cells"]] == list(states), case_id
        for agent, state, cell in zip((BAD, GOOD), states, row["cells"], strict=True):
            where = f"{agent} / {case_id}"
            assert cell["lines"][0] == TEXT[state], where
            assert cell["width"] > 40 and cell["height"] > 15, where
            if state == "MISSING":
                assert cell["href"] is None, where
            else:  # every run cell links to its page, which exists
                assert cell["href"], where
                assert (report_dir / cell["href"]).is_file(), where
    # The close detail under the verdict: what the peer answered.
    assert rows["7.7.1"]["cells"][0]["lines"] == ["Fail", "wrong code 1002"]
    assert rows["12.1.1"]["cells"][0]["lines"] == ["Unimplemented", "1000 · 12 ms"]
    _keep(index, tmp_path, "report-index.png")


def test_each_verdict_has_its_own_colour(index: Browser) -> None:
    css = _css_colours()
    assert set(css) == set(TEXT), css
    seen: dict[str, set[tuple[int, int, int]]] = {}
    for row in _cells(index).values():
        for cell in row["cells"]:
            seen.setdefault(cell["state"], set()).add(_parse_rgb(cell["background"]))
            assert _parse_rgb(cell["color"]) == (255, 255, 255), cell
            assert cell["linkColor"] in (None, "rgb(255, 255, 255)"), cell
            striped = "repeating-linear-gradient" in cell["image"]
            assert striped == (cell["state"] == "ERROR"), cell
    assert set(seen) == set(TEXT), "the sample shows every state"
    for state, colours in seen.items():
        assert colours == {css[state]}, f"{state} cells are {colours}, style.css says {css[state]}"
    # Seven different colours, each of the hue a person expects.
    assert len(set(css.values())) == len(css)
    r, g, b = css["OK"]
    assert g > 2 * r and g > 2 * b, "OK is green"
    r, g, b = css["FAILED"]
    assert r > 2 * g and r > 2 * b, "FAILED is red"
    r, g, b = css["NON-STRICT"]
    assert min(r, g) > 2 * b and g >= r, "NON-STRICT is yellow-green"
    r, g, b = css["INFORMATIONAL"]
    assert b > r and b > g, "INFORMATIONAL is blue"
    r, g, b = css["UNIMPLEMENTED"]
    assert r > 2 * g and b > 2 * g, "UNIMPLEMENTED is purple"
    # The legend shows the same colours with the same words.
    legend = index.evaluate(
        """Array.from(document.querySelectorAll("#legend .swatch")).map(s =>
             [s.innerText.trim(), getComputedStyle(s).backgroundColor])"""
    )
    by_text = {text: _parse_rgb(colour) for text, colour in legend}
    assert by_text == {TEXT[state]: colour for state, colour in css.items()}


def test_harness_errors_are_shown_apart(index: Browser) -> None:
    panel = index.evaluate(
        """(() => {
          const panel = document.getElementById("harness-errors");
          const matrix = document.getElementById("matrix");
          return {text: panel.innerText, top: panel.getBoundingClientRect().top,
                  height: panel.getBoundingClientRect().height,
                  matrixTop: matrix.getBoundingClientRect().top,
                  heading: panel.previousElementSibling.innerText,
                  links: Array.from(panel.querySelectorAll("a"), a => a.getAttribute("href"))};
        })()"""
    )
    assert panel["heading"] == "Harness errors"
    assert panel["height"] > 0 and panel["top"] < panel["matrixTop"]
    assert "not counted as failures of the target" in panel["text"]
    assert f"{GOOD}: the run was cut short: out of file descriptors" in panel["text"]
    assert (
        f"{BAD}, case 5.1: ConnectionResetError: peer reset the connection during the handshake"
        in panel["text"]
    )
    assert panel["links"] == ["brokenserver_1_0_case_5_1.html"]
    # In the totals an error is not a failure of the target.
    totals = index.evaluate(
        """(() => {
          const table = document.getElementById("totals");
          const head = Array.from(table.querySelectorAll("thead th"), th => th.innerText);
          return Array.from(table.querySelectorAll("tbody tr"), tr => {
            const cells = Array.from(tr.children, c => c.innerText.trim());
            return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
          });
        })()"""
    )
    assert totals[0] == {
        "Agent": BAD,
        "Pass": "2",
        "Info": "1",
        "Unimplemented": "1",
        "Non-Strict": "1",
        "Fail": "3",
        "Error": "1",
        "Missing": "0",
    }
    assert totals[1]["Agent"] == GOOD and totals[1]["Pass"] == "4"
    assert totals[1]["Fail"] == totals[1]["Error"] == "0" and totals[1]["Missing"] == "5"


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + unit(timeout)
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.02)


def _visible_rows(browser: Browser) -> list[str]:
    return [case_id for case_id, row in _cells(browser).items() if row["visible"]]


def test_not_ok_filter_hides_rows_where_every_agent_is_ok(index: Browser) -> None:
    everything = list(EXPECTED)
    not_ok = [case_id for case_id, states in EXPECTED.items() if states != ("OK", "OK")]
    assert not_ok == [c for c in everything if c != "1.1.1"]
    assert "8 of 9 not OK for some agent" in index.evaluate(
        "document.querySelector('.filter').innerText"
    )
    assert _visible_rows(index) == everything
    # The script shows its checkbox; a mouse click on it filters, a second one undoes it.
    index.click("#only-problems")
    assert index.evaluate("document.getElementById('only-problems').checked") is True
    assert _visible_rows(index) == not_ok
    index.click("#only-problems")
    assert _visible_rows(index) == everything
    # The link works through CSS :target alone (no script needed).
    index.click("#filter-link")
    assert index.url.endswith("#problems")
    assert _visible_rows(index) == not_ok
    # ... and the checkbox follows the link (on the hashchange event, a task later).
    checked = "document.getElementById('only-problems').checked"
    _until(lambda: index.evaluate(checked) is True)
    index.click("#unfilter-link")
    _until(lambda: index.evaluate(checked) is False)
    assert _visible_rows(index) == everything


def test_case_page_opened_from_the_matrix(
    index: Browser, report_dir: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    failed = "#case-7_7_1 td:nth-of-type(1) a"
    href = index.evaluate(f"document.querySelector({failed!r}).getAttribute('href')")
    assert href == "brokenserver_1_0_case_7_7_1.html"
    index.click(failed, wait_for_load=True)
    assert index.url == (report_dir / href).as_uri()
    page = index.evaluate(
        """(() => {
          const text = id => document.getElementById(id).innerText;
          const summary = document.getElementById("summary");
          const kv = Array.from(document.querySelectorAll("#close-details tbody tr"),
                                tr => [tr.children[0].innerText, tr.children[1].innerText]);
          const log = Array.from(document.querySelectorAll("#wirelog > li"), li => ({
            kind: li.className,
            head: li.querySelector(".head").innerText.replace(/\\s+/g, " ").trim(),
            border: getComputedStyle(li.querySelector(".head")).borderTopWidth,
            background: getComputedStyle(li.querySelector(".head")).backgroundColor,
            dump: li.querySelector("pre.dump") ? li.querySelector("pre.dump").innerText : null,
            payload: li.querySelector("pre.payload") ? li.querySelector("pre.payload").innerText
                                                     : null,
          }));
          return {title: document.title, verdict: summary.querySelector(".verdict").innerText,
                  summary: summary.innerText, summaryColour: getComputedStyle(summary)
                  .backgroundColor, description: text("description"),
                  expectation: text("expectation"), whoClosed: text("who-closed"),
                  close: Object.fromEntries(kv), log};
        })()"""
    )
    assert page["title"] == f"{BAD} · case 7.7.1 · Fail"
    assert page["verdict"] == "Fail"
    assert _parse_rgb(page["summaryColour"]) == _css_colours()["FAILED"]
    assert "behaviorClose WRONG CODE" in page["summary"]
    assert page["description"] == (
        "Description. Send a close frame with the valid close code 1000 and no reason."
    )
    assert page["expectation"].startswith("Expectation. Clean close")
    assert "the tester (wsconform) sent the first close frame" in page["whoClosed"]
    close = page["close"]
    assert close["closedByMe"] == "yes" and close["wasClean"] == "yes"
    assert close["localCloseCode"] == "1000" and close["remoteCloseCode"] == "1002"

    log = page["log"]
    assert [line["kind"] for line in log] == [
        "tx-octets",
        "rx-octets",
        "tx-frame",
        "tx-octets",
        "rx-octets",
        "rx-frame",
        "tcp",
    ]
    heads = [line["head"] for line in log]
    assert heads[0].startswith("001 TX OCTETS 153 B written")
    assert heads[1].startswith("002 RX OCTETS 129 B read")
    # Frame boundaries: arrows and a thick rule over each frame, in its own colour.
    assert heads[2].startswith("003 ▶ TX FRAME opcode=8 (CLOSE), fin=1")
    assert "mask=a1b2c3d4, close code 1000" in heads[2]
    assert heads[5].startswith("006 ◀ RX FRAME opcode=8 (CLOSE), fin=1")
    assert "close code 1002" in heads[5]
    assert [line["border"] for line in log] == ["0px", "0px", "3px", "0px", "0px", "3px", "0px"]
    assert len({line["background"] for line in log[:3]}) == 3  # tx / rx / frame differ
    assert log[2]["payload"] == "payload: 0x03e8" and log[5]["payload"] == "payload: 0x03ea"
    # Hex dumps of the octets: offset, hex, printable ASCII; the log keeps 64 bytes.
    handshake = log[0]["dump"].splitlines()
    assert handshake[0] == (
        "0000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  |GET / HTTP/1.1..|"
    )
    assert handshake[-1] == "… 89 more bytes not kept"
    assert log[3]["dump"].startswith("0000  88 82 a1 b2 c3 d4 a2 5a ")
    assert log[4]["dump"].startswith("0000  88 02 03 ea ")
    assert heads[6] == "007 TCP CLOSED TCP connection closed by the peer"
    _keep(index, tmp_path, "report-case-7_7_1.png")

    index.click("#back", wait_for_load=True)
    assert index.url == (report_dir / "index.html").as_uri() + "#case-7_7_1"


def test_error_page_opened_from_the_matrix(index: Browser) -> None:
    index.click("#case-5_1 td:nth-of-type(1) a", wait_for_load=True)
    assert index.url.endswith("/brokenserver_1_0_case_5_1.html")
    page = index.evaluate(
        """({title: document.title,
             summary: document.getElementById("summary").innerText,
             image: getComputedStyle(document.getElementById("summary")).backgroundImage,
             description: document.getElementById("description").innerText,
             traceback: document.querySelector("pre.traceback").innerText})"""
    )
    assert page["title"] == f"{BAD} · case 5.1 · harness error"
    assert page["summary"].startswith("Harness error")
    assert "repeating-linear-gradient" in page["image"]
    assert page["description"].startswith("Description. Send a ping in two fragments")
    reset = "ConnectionResetError: peer reset the connection during the handshake"
    assert reset in page["traceback"]
