"""Test data of section 12: deterministic stand-ins of Autobahn's five files, or the originals.

Autobahn's 12.x cases stream slices of five files (docs/autobahn.md section 6.7). We do
not ship them. :func:`generate` builds a stand-in of each with the same size (and, for
the two text files, the same number of code points) and a similar character, so that it
compresses about as well: a JSON report index, an 8-bit grayscale bitmap, German verse
with a BOM, an HTML report page with the same count of non-ASCII characters, and a PDF
whose streams are already compressed. The bytes depend only on this module (SHAKE-256
streams with fixed seeds), never on the Python version or platform.

``wsconform test-server --testdata DIR`` uses the original files found in ``DIR`` under
their original names instead (:func:`load`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import pathlib
import struct
from collections.abc import Iterator

__all__ = ["FILES", "DataFile", "by_key", "generate", "load"]


@dataclasses.dataclass(frozen=True, slots=True)
class DataFile:
    """One of Autobahn's test data files.

    ``binary`` is how 12.x sends it (the Faust text goes out as binary); ``code_points``
    is the length in code points of the two files sent as text.
    """

    key: str
    file_name: str
    description: str
    size: int
    binary: bool
    code_points: int | None = None

    @property
    def title(self) -> str:
        """The 12.x subsection title: description, kind and size, as in Autobahn."""
        return f"{self.description} ({'binary' if self.binary else 'utf8'}, {self.size} bytes)"


#: In the fixed order of 12.1-12.5.
FILES: tuple[DataFile, ...] = (
    DataFile("json_data1", "data1.json", "Large JSON data file", 194056, False, 194056),
    DataFile("lena512", "lena512.bmp", "Lena Picture, Bitmap 512x512 bw", 263222, True),
    DataFile(
        "gutenberg_faust",
        "pg2229.txt",
        "Human readable text, Goethe's Faust I (German)",
        222218,
        True,
    ),
    DataFile("html_data1", "data1.html", "Large HTML file", 263647, False, 263620),
    DataFile("ooms", "10.1.1.105.5439.pdf", "A larger PDF", 1042328, True),
)


def by_key(key: str) -> DataFile:
    """The data file with this key (``json_data1``, ``lena512``, ...).

    Raises:
        KeyError: no such key.
    """
    for data_file in FILES:
        if data_file.key == key:
            return data_file
    raise KeyError(key)


class _Random:
    """A deterministic byte stream (SHAKE-256 of a seed) read as small integers."""

    def __init__(self, seed: str, size: int) -> None:
        self._data = hashlib.shake_256(seed.encode()).digest(size)
        self._pos = 0

    def below(self, n: int) -> int:
        """An integer in ``range(n)`` (n <= 65536), nearly uniform."""
        if self._pos + 2 > len(self._data):
            self._pos = 0  # the streams are sized generously; wrapping is harmless
        value = self._data[self._pos] << 8 | self._data[self._pos + 1]
        self._pos += 2
        return value * n >> 16


# --- data1.json: a report index ------------------------------------------------------------

_SUBSECTION_SIZES = (
    ("1.1", 8), ("1.2", 8), ("2", 11), ("3", 7), ("4.1", 5), ("4.2", 5), ("5", 20),
    ("6.1", 3), ("6.2", 4), ("6.3", 2), ("6.4", 4), ("6.5", 5), ("6.6", 11), ("6.7", 4),
    ("6.8", 2), ("6.9", 4), ("6.10", 3), ("6.11", 5), ("6.12", 8), ("6.13", 5),
    ("6.14", 10), ("6.15", 1), ("6.16", 3), ("6.17", 5), ("6.18", 5), ("6.19", 5),
    ("6.20", 7), ("6.21", 8), ("6.22", 34), ("6.23", 7), ("7.1", 6), ("7.3", 6), ("7.5", 1),
    ("7.7", 13), ("7.9", 9), ("7.13", 2), ("9.1", 6), ("9.2", 6), ("9.3", 9), ("9.4", 9),
    ("9.5", 6), ("9.6", 6), ("9.7", 6), ("9.8", 6), ("10.1", 1),
)  # fmt: skip

_AGENTS = (
    "ReferenceServer/1.0",
    "ExampleBrowser/30.0.1599",
    "SampleClient/2.4-20131012",
    "OtherServer/0.9.1",
)


#: Typical durations (ms) of fast cases, in proportion to how often they occur.
_DURATIONS = (1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 6)


def _case_ids() -> list[str]:
    return [f"{group}.{n}" for group, count in _SUBSECTION_SIZES for n in range(1, count + 1)]


def _clean(agent: str) -> str:
    return "".join(c if c.isalnum() else " " for c in agent.lower()).strip().replace(" ", "_")


def _json_document(size: int) -> bytes:
    rng = _Random("wsconform data1.json", 64 * 1024)
    entries = []
    for agent in _AGENTS:
        for case_id in sorted(_case_ids()):
            slow = case_id.startswith("9.")
            duration = 20 + rng.below(2000) if slow else _DURATIONS[rng.below(len(_DURATIONS))]
            behavior = "OK" if rng.below(60) else "NON-STRICT"
            entries.append((agent, case_id, behavior, duration))

    def render(count: int, padding: str | None) -> bytes:
        doc: dict[str, object] = {}
        for agent, case_id, behavior, duration in entries[:count]:
            cases = doc.setdefault(agent, {})
            assert isinstance(cases, dict)
            cases[case_id] = {
                "behavior": behavior,
                "behaviorClose": "OK",
                "duration": duration,
                "remoteCloseCode": 1000,
                "reportfile": f"{_clean(agent)}_case_{case_id.replace('.', '_')}.json",
            }
        if padding is not None:
            doc["~"] = padding
        return json.dumps(doc, sort_keys=True, indent=3, separators=(",", ": ")).encode()

    low, high = 1, len(entries)
    while low < high:  # the most entries that leave room for the padding key
        middle = (low + high + 1) // 2
        if len(render(middle, "")) <= size:
            low = middle
        else:
            high = middle - 1
    base = len(render(low, ""))
    filler = "".join(chr(97 + rng.below(26)) for _ in range(size - base))
    return render(low, filler)


# --- lena512.bmp: an 8-bit grayscale bitmap -------------------------------------------------


def _triangle(t: int, period: int, amplitude: int) -> int:
    """A triangle wave from 0 to ``amplitude`` and back over ``period`` steps."""
    half = period // 2
    return amplitude * abs(t % period - half) // half


def _bitmap(size: int) -> bytes:
    width = height = 512
    palette = b"".join(bytes((v, v, v, 0)) for v in range(256))
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", size, 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 0, width * height, 0, 0, 256, 0)
    rng = _Random("wsconform lena512.bmp", 2 * width * height + 64)
    # A smooth picture (a few slow waves) with grain, like a scanned photograph.
    # Integer arithmetic only, so the bytes are the same on every platform.
    wave_x = [_triangle(x, 232, 80) + _triangle(x, 69, 24) - 52 for x in range(width)]
    wave_y = [_triangle(y + 83, 333, 90) + _triangle(y, 107, 20) - 55 for y in range(height)]
    rows = []
    for y in range(height):
        wy = wave_y[y] + 118
        rows.append(
            bytes(
                min(255, max(0, wy + wave_x[x] + (x * y % 97) // 8 + rng.below(23) - 11))
                for x in range(width)
            )
        )
    return header + info + palette + b"".join(rows)


# --- pg2229.txt: German verse, UTF-8 with a BOM ---------------------------------------------

_WORD_TEXT = (
    "und die der ich nicht das zu sich in es mit mir ein den so ist du auf wie dem "
    "mich an was sie nur auch er wir ihr von nun doch mein noch wohl dich sein wenn "
    "dir da schon ach bin hier will mehr kann einen dann kein soll ganz ins wird "
    "herr immer alles welt geist nacht tag himmel erde herz liebe leben licht feuer "
    "wort zeit teufel gott mensch seele kraft natur kunst lust blick hand haus stadt "
    "garten schöne süße große müde wüste höhe öde ärger träume mächtig fröhlich "
    "glück grün hölle schön für über würde möchte können müssen dürfen weiß daß muß "
    "läßt fühlen wissen sehen gehen kommen stehen sprechen denken treiben schaffen "
    "streben suchen finden bleiben werden geben nehmen halten ziehen fliehen glühen "
    "blühen sinnen wandern schweben dringen klingen singen springen ringen bringen "
    "zwingen gelingen"
)
_WORDS = tuple(_WORD_TEXT.split())
_SPEAKERS = ("FAUST", "MEPHISTOPHELES", "WAGNER", "MARGARETE", "MARTHE", "CHOR", "SCHÜLER")
_SYLLABLES = ("ge", "ver", "be", "er", "ent", "zer", "un", "lich", "ung", "heit", "keit", "en")


#: One word in this many is derived (prefix and part of a suffix), tuned to the
#: original's compressibility.
_DERIVED_ODDS = 2


def _verse(size: int) -> bytes:
    rng = _Random("wsconform pg2229.txt", 2 * size)
    out = [
        "\ufeffThe text below stands in for a public-domain play in German verse.\n\n",
        "Faust: Der Tragödie erster Teil\n\n",
    ]
    length = sum(len(part.encode()) for part in out)
    target = size - 16  # leave the end to exact ASCII padding
    while length < target:
        if rng.below(12) == 0:
            line = f"\n  {_SPEAKERS[rng.below(len(_SPEAKERS))]}:\n"
        else:
            words = []
            for _ in range(4 + rng.below(6)):
                # Zipf-like: small indices far more often; sometimes a derived word.
                word = _WORDS[rng.below(1 + rng.below(len(_WORDS)))]
                if rng.below(_DERIVED_ODDS) == 0:
                    word = _SYLLABLES[rng.below(len(_SYLLABLES))] + word
                    word += _SYLLABLES[rng.below(len(_SYLLABLES))][: rng.below(4)]
                words.append(word)
            words[0] = words[0].capitalize()
            end = ".,;!?:"[rng.below(6)] if rng.below(3) else ""
            line = "  " + " ".join(words) + end + "\n"
        out.append(line)
        length += len(line.encode())
    data = "".join(out).encode()
    while len(data) > size:  # drop whole lines until it fits, then pad with spaces
        data = data[: data.rstrip(b"\n").rfind(b"\n") + 1]
    return data + b" " * (size - len(data) - 1) + b"\n"


# --- data1.html: a report page with 26 non-ASCII characters ---------------------------------

_CSS = """
body { background-color: #F4F4F4; color: #333; font-family: Segoe UI,Tahoma,Arial,sans-serif; }
.block { background-color: #e0e0e0; padding: 16px; margin: 20px; }
table { border-collapse: collapse; border-spacing: 0px; }
td { margin: 0; border: 1px solid #fff; padding-top: 6px; padding-bottom: 6px; }
td.case { background-color: #666; text-align: left; padding-left: 6px; padding-right: 6px; }
td.case_ok { background-color: #0a0; text-align: center; }
td.case_non_strict { background-color: #9a0; text-align: center; }
td.case_failed { background-color: #900; text-align: center; }
td.case_missing { color: #fff; background-color: #a05a2c; text-align: center; }
td.close { text-align: center; padding-left: 6px; padding-right: 6px; }
span.case_duration { font-size: 0.7em; color: #fff; }
"""

_PHRASES = (
    "Send a text message", "Send a binary message", "in one frame", "in two fragments",
    "with a ping between the fragments", "then close the connection", "with an empty payload",
    "with the largest payload that fits", "written one octet at a time",
    "The message is echoed.", "Clean close with normal code.",
    "The peer fails the connection at once.", "A pong with the same payload comes back.",
)  # fmt: skip

#: Non-ASCII text of the original page: 25 two-byte characters and one three-byte one.
_HELLO = "Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!"
_KOSME = "\u03ba\u1f79\u03c3\u03bc\u03b5"


def _html_blocks(rng: _Random) -> Iterator[str]:
    """Result rows, then case descriptions, then more descriptions, without end."""
    ids = _case_ids()
    classes = ("case_ok", "case_ok", "case_ok", "case_ok", "case_non_strict", "case_failed")
    for case_id in ids:
        anchor = case_id.replace(".", "_")
        cells = []
        for agent in _AGENTS[:3]:
            cls = classes[rng.below(len(classes))]
            word = {"case_ok": "Pass", "case_non_strict": "Non-Strict"}.get(cls, "Fail")
            took = f'<br/><span class="case_duration">{rng.below(900)} ms</span>'
            cells.append(
                f'<td class="{cls}"><a href="{_clean(agent)}_case_{anchor}.html">{word}</a>'
                f"{took if case_id.startswith('9.') else ''}</td>"
                f'<td class="close close_hide {cls}"><span class="close_code">'
                f"{(1000, 1000, 1002, 1007)[rng.below(4)]}</span></td>"
            )
        yield (
            f'         <tr class="agent_case_result_row"><td class="case">'
            f'<a href="#case_desc_{anchor}">Case {case_id}</a></td>{"".join(cells)}</tr>\n'
        )
    yield '      </table>\n      <div id="test_case_descriptions">\n'
    for n in itertools.count():
        case_id = ids[n % len(ids)]
        anchor = case_id.replace(".", "_")
        text = " ".join(_PHRASES[rng.below(len(_PHRASES))] for _ in range(2 + rng.below(5)))
        if n in (70, 71, 72):
            text += f"<br><br>MESSAGE:<br>{_HELLO}"
        elif n == 73:
            text += f"<br><br>MESSAGE:<br>{_KOSME}"
        yield (
            f'         <br/>\n         <a name="case_desc_{anchor}"></a>\n'
            f'         <h2>Case {case_id}</h2>\n         <p class="case_desc">'
            f"<b>Case Description</b><br/><br/>{text}</p>\n"
        )


def _html_page(size: int, code_points: int) -> bytes:
    rng = _Random("wsconform data1.html", 256 * 1024)
    head = (
        '<!DOCTYPE html>\n<html>\n   <head>\n      <meta charset="utf-8" />\n'
        '      <style lang="css">' + _CSS + "      </style>\n   </head>\n   <body>\n"
        '      <div id="master_report_header" class="block">\n'
        "         <p>Summary report of a conformance run (stand-in test data).</p>\n"
        '      </div>\n      <table id="agent_case_results">\n'
    )
    closing = "      </div>\n   </body>\n</html>\n"
    parts, length = [head], len(head) + len(closing)
    for block in _html_blocks(rng):
        if length + len(block) > code_points - 16:
            break
        parts.append(block)
        length += len(block)
    page = "".join(parts)
    missing = code_points - len(page) - len(closing)
    if len(page.encode()) - len(page) != size - code_points:
        raise AssertionError("the HTML stand-in lost its non-ASCII text")  # pragma: no cover
    # Pad inside a comment to the exact size, then close the page.
    filler = " ".join(_PHRASES[rng.below(len(_PHRASES))] for _ in range(8))
    comment = "<!-- " + filler[: missing - 10].ljust(missing - 10) + " -->\n"
    return (page + comment + closing).encode()


# --- 10.1.1.105.5439.pdf: a PDF of compressed streams ---------------------------------------


def _pdf(size: int) -> bytes:
    stream = hashlib.shake_256(b"wsconform 10.1.1.105.5439.pdf").digest(size)
    rng = _Random("wsconform pdf layout", 1024 * 1024)
    out = [b"%PDF-1.2\n%\xe2\xe3\xcf\xd3\n"]
    length = len(out[0])
    position, number = 0, 1
    largest = 24 * 1024  # no object is larger than this
    while length + largest < size:
        if rng.below(_PDF_TEXT_ODDS[1]) < _PDF_TEXT_ODDS[0]:
            # A page's content in plain PDF syntax: compressible text.
            body = b"".join(
                b"BT /F%d %d Tf %d %d Td (%s) Tj ET\n"
                % (1 + rng.below(4), 8 + rng.below(6), rng.below(600), rng.below(800),
                   _PHRASES[rng.below(len(_PHRASES))].encode())
                for _ in range(20 + rng.below(200))
            )  # fmt: skip
        else:
            # An already-compressed stream (an image, a font): as good as random bytes.
            chunk = 2048 + rng.below(16384)
            body = stream[position : position + chunk]
            position += chunk
        obj = b"%d 0 obj\n<</Length %d /Filter /FlateDecode>>\nstream\n%s\nendstream\nendobj\n" % (
            number,
            len(body),
            body,
        )
        out.append(obj)
        length += len(obj)
        number += 1
    trailer = b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n0\n%%%%EOF\n" % number
    pad = size - length - len(trailer)
    out.append(b"%" + stream[position : position + pad - 2] + b"\n")
    out.append(trailer)
    return b"".join(out)


#: Odds of a text object among the PDF's objects, tuned to the original's compressibility.
_PDF_TEXT_ODDS = (2, 5)


@functools.cache
def generate(key: str) -> bytes:
    """The deterministic stand-in of one data file (built once per process, then cached).

    Raises:
        KeyError: no such key.
    """
    data_file = by_key(key)
    if key == "json_data1":
        return _json_document(data_file.size)
    if key == "lena512":
        return _bitmap(data_file.size)
    if key == "gutenberg_faust":
        return _verse(data_file.size)
    if key == "html_data1":
        assert data_file.code_points is not None
        return _html_page(data_file.size, data_file.code_points)
    return _pdf(data_file.size)


def load(key: str, directory: pathlib.Path | str | None = None) -> bytes:
    """The data of one file: the original from ``directory`` if given, else the stand-in.

    Raises:
        KeyError: no such key.
        FileNotFoundError: ``directory`` is given but does not hold the file.
        ValueError: a text file from ``directory`` is not valid UTF-8.
    """
    data_file = by_key(key)
    if directory is None:
        return generate(key)
    data = (pathlib.Path(directory) / data_file.file_name).read_bytes()
    if not data_file.binary:
        data.decode("utf-8")  # raises ValueError (UnicodeDecodeError) for a wrong file
    return data
