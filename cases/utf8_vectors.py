"""The UTF-8 test vectors of cases 6.5-6.23, group by group, in Autobahn's order.

Most come from Markus Kuhn's UTF-8 decoder stress test; Autobahn adds the prefixes of a
Greek word (6.6), non-characters (6.22) and the Specials block (6.23). Group ``i`` of
:data:`GROUPS` is subsection ``6.(i+5)``; vector ``j`` of a group is case ``6.(i+5).(j+1)``.

Validity is strict RFC 3629 UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF,
no 5- or 6-byte forms, no truncated sequence); non-characters and specials are valid.
The ranges below are half-open, as in Autobahn's generator, so their upper bounds are
excluded (6.12.8 stops at 0xBE, 6.13 at DE, EE, F6, FA and FC).
"""

from __future__ import annotations

import dataclasses

__all__ = ["GROUPS", "KOSME", "Utf8Group", "Utf8Vector"]

#: Greek "kosme", the word of Kuhn's test file.
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")


@dataclasses.dataclass(frozen=True, slots=True)
class Utf8Vector:
    """One payload and whether it is valid UTF-8."""

    valid: bool
    payload: bytes


@dataclasses.dataclass(frozen=True, slots=True)
class Utf8Group:
    """One subsection: its title (as in the report) and its vectors."""

    title: str
    vectors: tuple[Utf8Vector, ...]


def _valid(*payloads: bytes) -> tuple[Utf8Vector, ...]:
    return tuple(Utf8Vector(True, p) for p in payloads)


def _invalid(*payloads: bytes) -> tuple[Utf8Vector, ...]:
    return tuple(Utf8Vector(False, p) for p in payloads)


def _hex(*texts: str) -> tuple[bytes, ...]:
    return tuple(bytes.fromhex(t) for t in texts)


#: Prefix lengths of KOSME that end on a code point boundary (2, 5, 7, 9 and 11 bytes).
_KOSME_BOUNDARIES = frozenset({2, 5, 7, 9, 11})

#: 6.14: each multi-byte form with its last continuation byte missing, lowest values
#: first (2- to 6-byte lead bytes), then highest values.
_TRUNCATED = _hex(
    "c0",
    "e080",
    "f08080",
    "f8808080",
    "fc80808080",
    "df",
    "efbf",
    "f7bfbf",
    "fbbfbfbf",
    "fdbfbfbfbf",
)

#: 6.13: lead bytes of each length, each followed by a space.
_LONELY_RANGES = ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD))


def _non_characters() -> tuple[bytes, ...]:
    """6.22: U+FFFE, U+FFFF, then U+nFFFE and U+nFFFF of planes 1-16 in UTF-8."""
    found = [bytes.fromhex("efbfbe"), bytes.fromhex("efbfbf")]
    for lead in (0xF0, 0xF1, 0xF2, 0xF3, 0xF4):
        for second in (0x8F, 0x9F, 0xAF, 0xBF):
            if lead == 0xF4 and second != 0x8F:
                continue  # above U+10FFFF
            for last in (0xBE, 0xBF):
                candidate = bytes((lead, second, 0xBF, last))
                if candidate in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):
                    continue  # overlong forms of U+FFFE and U+FFFF
                found.append(candidate)
    return tuple(found)


GROUPS: tuple[Utf8Group, ...] = (
    Utf8Group(
        "Some valid UTF-8 sequences",
        _valid(
            b"hello$world",  # U+0024
            b"hello\xc2\xa2world",  # U+00A2
            b"hello\xe2\x82\xacworld",  # U+20AC
            b"hello\xf0\xa4\xad\xa2world",  # U+24B62
            KOSME,
        ),
    ),
    Utf8Group(
        "All prefixes of a valid UTF-8 string that contains multi-byte code points",
        tuple(Utf8Vector(n in _KOSME_BOUNDARIES, KOSME[:n]) for n in range(1, len(KOSME) + 1)),
    ),
    Utf8Group(
        "First possible sequence of a certain length",
        _valid(*_hex("00", "c280", "e0a080", "f0908080")),
    ),
    Utf8Group(
        "First possible sequence length 5/6 (invalid codepoints)",
        _invalid(*_hex("f888808080", "fc8480808080")),
    ),
    Utf8Group(
        "Last possible sequence of a certain length",
        _valid(*_hex("7f", "dfbf", "efbfbf", "f48fbfbf")),
    ),
    Utf8Group(
        "Last possible sequence length 4/5/6 (invalid codepoints)",
        _invalid(*_hex("f7bfbfbf", "fbbfbfbfbf", "fdbfbfbfbfbf")),
    ),
    Utf8Group(
        "Other boundary conditions",
        _valid(*_hex("ed9fbf", "ee8080", "efbfbd", "f48fbfbf")) + _invalid(*_hex("f4908080")),
    ),
    Utf8Group(
        "Unexpected continuation bytes",
        _invalid(
            *_hex("80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf"),
            bytes(range(0x80, 0xBF)),
        ),
    ),
    Utf8Group(
        "Lonely start characters",
        _invalid(*(b"".join(bytes((b, 0x20)) for b in range(lo, hi)) for lo, hi in _LONELY_RANGES)),
    ),
    Utf8Group("Sequences with last continuation byte missing", _invalid(*_TRUNCATED)),
    Utf8Group("Concatenation of incomplete sequences", _invalid(b"".join(_TRUNCATED))),
    Utf8Group("Impossible bytes", _invalid(*_hex("fe", "ff", "fefeffff"))),
    Utf8Group(
        "Examples of an overlong ASCII character",
        _invalid(*_hex("c0af", "e080af", "f08080af", "f8808080af", "fc80808080af")),
    ),
    Utf8Group(
        "Maximum overlong sequences",
        _invalid(*_hex("c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf")),
    ),
    Utf8Group(
        "Overlong representation of the NUL character",
        _invalid(*_hex("c080", "e08080", "f0808080", "f880808080", "fc8080808080")),
    ),
    Utf8Group(
        "Single UTF-16 surrogates",
        _invalid(*_hex("eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf")),
    ),
    Utf8Group(
        "Paired UTF-16 surrogates",
        _invalid(
            *(
                high + low
                for high in _hex("eda080", "edadbf", "edae80", "edafbf")
                for low in _hex("edb080", "edbfbf")
            )
        ),
    ),
    Utf8Group("Non-character code points (valid UTF-8)", _valid(*_non_characters())),
    Utf8Group(
        "Unicode specials (i.e. replacement char)",
        _valid(*_hex("efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf")),
    ),
)
