"""The ``#problems`` view of ``index.html`` in headless Chromium: it opens at the top.

Following a link to ``index.html#problems`` (from ``summary.md``, a bookmark, the
filter link) filters the matrix through the CSS ``:target`` rule. The target must not
scroll the page: the header, the totals and the filter stay in view and the first
not-OK row follows the filter directly, with no empty band before it. The window is
short on purpose, so that a target placed lower in the page would scroll it.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from tests.browser import Browser, ChromiumNotFound
from tests.harness.report.sample import sample_report, write

HEIGHT = 480

_LAYOUT_JS = """(() => {
  const box = el => el.getBoundingClientRect();
  const rows = Array.from(document.querySelectorAll("#matrix tbody tr"))
    .filter(tr => box(tr).height > 0);
  return {
    scrollY: window.scrollY,
    checked: document.getElementById("only-problems").checked,
    headerTop: box(document.querySelector("header")).top,
    filterBottom: box(document.querySelector(".filter")).bottom,
    matrixTop: box(document.getElementById("matrix")).top,
    firstRowTop: rows.length ? box(rows[0]).top : null,
    hiddenCases: Array.from(document.querySelectorAll("#matrix tr.case-row"))
      .filter(tr => box(tr).height === 0).map(tr => tr.dataset.case),
    pageHeight: document.documentElement.scrollHeight,
  };
})()"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    missing: str | None = None
    try:
        chromium = Browser(height=HEIGHT)
    except ChromiumNotFound as exc:
        missing = str(exc)
    if missing is not None:  # fail, never skip: CI installs chromium (.ci/run)
        pytest.fail(missing, pytrace=False)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="module")
def index_html(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    outdir = tmp_path_factory.mktemp("report")
    write(sample_report(), outdir)
    return outdir / "index.html"


def _check_opens_at_the_top(browser: Browser) -> None:
    layout = browser.evaluate(_LAYOUT_JS)
    assert layout["pageHeight"] > HEIGHT + 300, "the filtered page must be taller than the window"
    assert layout["hiddenCases"] == ["1.1.1"], "the filter hides the all-OK rows"
    assert layout["scrollY"] == 0, layout
    assert layout["headerTop"] >= 0, layout
    # No blank band: the matrix and its first row follow the filter line at once.
    assert 0 <= layout["matrixTop"] - layout["filterBottom"] < 40, layout
    assert 0 < layout["firstRowTop"] - layout["matrixTop"] < 60, layout


def test_opening_the_problems_view_does_not_scroll(
    browser: Browser, index_html: pathlib.Path
) -> None:
    browser.navigate(index_html.as_uri() + "#problems")
    _check_opens_at_the_top(browser)


def test_the_filter_link_does_not_scroll(browser: Browser, index_html: pathlib.Path) -> None:
    browser.navigate(index_html.as_uri())
    browser.click("#filter-link")
    assert browser.url.endswith("#problems")
    _check_opens_at_the_top(browser)
