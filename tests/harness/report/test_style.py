"""``templates/style.css``: white text on every verdict colour is readable.

The stylesheet itself is parsed, so a colour changed there is measured here. Contrast
is WCAG 2's: the ratio of the relative luminances (L1 + 0.05) / (L2 + 0.05), at least
4.5:1 for normal text (level AA).
"""

from __future__ import annotations

import pathlib
import re

import pytest

from wsconform.harness.report import html as html_module
from wsconform.harness.report.html_views import STATE_CSS

STYLE_CSS = pathlib.Path(html_module.__file__).parent / "templates" / "style.css"
MINIMUM = 4.5

_RULE = re.compile(r"([^{}]+)\{([^}]*)\}")


def _rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of every rule, comments removed."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = []
    for selectors, body in _RULE.findall(css):
        declarations = {}
        for item in body.split(";"):
            if ":" in item:
                name, value = item.split(":", 1)
                declarations[name.strip()] = " ".join(value.split())
        rules.append(([s.strip() for s in selectors.split(",")], declarations))
    return rules


def _declared(selector: str, prop: str) -> str:
    """The last value of ``prop`` in a rule that lists ``selector``."""
    values = [d[prop] for sel, d in _rules(STYLE_CSS.read_text()) if selector in sel and prop in d]
    assert values, f"style.css sets no {prop} for {selector}"
    return values[-1]


def _rgb(colour: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", colour.lower())
    assert match, f"not a hex colour: {colour!r}"
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def luminance(colour: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, from 1 (same) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((119, 119, 119), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    # Autobahn's own Pass green with white text, the colour this report used before.
    assert contrast(_rgb("#00aa00"), _rgb("#fff")) < MINIMUM


@pytest.mark.parametrize("state", sorted(STATE_CSS))
def test_verdict_colour_contrast(state: str) -> None:
    css_class = "." + STATE_CSS[state]
    background = _rgb(_declared(css_class, "background-color"))
    text = _rgb(_declared(css_class, "color"))
    link = _rgb(_declared(f"{css_class} a", "color"))
    assert contrast(text, background) >= MINIMUM, (state, text, background)
    assert contrast(link, background) >= MINIMUM, (state, link, background)


def test_wire_log_heads_contrast() -> None:
    text = _rgb(_declared("ol.wirelog .head", "color"))
    heads = [
        (selector, declarations["background"].split()[0])
        for selectors, declarations in _rules(STYLE_CSS.read_text())
        for selector in selectors
        if selector.startswith("li.")
        and selector.endswith(" .head")
        and "background" in declarations
    ]
    assert len(heads) >= 8
    for selector, background in heads:
        assert contrast(text, _rgb(background)) >= MINIMUM, selector


def test_text_on_colours_is_not_faded() -> None:
    """Opacity would blend the white text into its background and lower the contrast."""
    for selectors, declarations in _rules(STYLE_CSS.read_text()):
        coloured = any(".v-" in s or "cell" in s or ".head" in s or ".num" in s for s in selectors)
        assert not (coloured and "opacity" in declarations), selectors
