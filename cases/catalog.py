"""The ordered case catalog: every case, its run index, titles, and Autobahn's selection.

Two catalogs make up :data:`CASES`: Autobahn's 517 cases (:data:`AUTOBAHN_CASES`, ids
and run indices exactly as Autobahn has them) and wsconform's own families
(:data:`WSCONFORM_CASES`, ids of :mod:`.ids`, run indices from 518 on, after Autobahn's).
:func:`select` chooses from one of them or from both (``--catalog``, docs/catalogs.md).

:data:`CASES` holds the cases in Autobahn's global order, which is the order of numeric
id tuples (``2.9`` < ``2.10``, ``9.8.6`` < ``10.1.1`` < ``12.1.1``); a case's *run
index* is its 1-based position there (docs/autobahn.md section 1.2), e.g. 1.1.1 = 1,
6.5.1 = 78, 10.1.1 = 301, 13.7.18 = 517. The JSON report's ``case`` field is this index
in client mode, whatever subset runs.

Case-id patterns follow Autobahn (docs/autobahn.md section 1.3): a pattern without ``*``
is a literal id; with ``*``, each ``.`` is escaped, each ``*`` becomes ``.*``, and the
expression must match at the start of the id (``1*`` selects sections 1, 10, 12 and 13).
The selection is the union of ``cases`` minus the union of ``exclude``, sorted by numeric id.
``exclude-agent-cases`` patterns use the same rewriting but must match whole strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from . import (
    families,
    s01_framing,
    s02_pings,
    s03_reserved_bits,
    s04_opcodes,
    s05_fragmentation,
    s06_utf8,
    s07_close,
    s09_limits,
    s10_misc,
    s12_deflate,
    s13_deflate_params,
)
from .exceptions import CasePatternError, UnknownCaseError
from .ids import FAMILIES
from .model import Case, case_sort_key

__all__ = [
    "AUTOBAHN_CASES",
    "CASES",
    "CATALOGS",
    "SECTION_TITLES",
    "SUBSECTION_TITLES",
    "WSCONFORM_CASES",
    "agent_case_excluded",
    "get",
    "matches",
    "run_index",
    "section_title",
    "select",
    "subsection_title",
]

#: Section titles as the report shows them; 0 and 8 have titles but no cases.
SECTION_TITLES: dict[int, str] = {
    0: "Handshake",
    1: "Framing",
    2: "Pings/Pongs",
    3: "Reserved Bits",
    4: "Opcodes",
    5: "Fragmentation",
    6: "UTF-8 Handling",
    7: "Close Handling",
    8: "Misc",
    9: "Limits/Performance",
    10: "Misc",
    12: "WebSocket Compression (different payloads)",
    13: "WebSocket Compression (different parameters)",
}

#: Subsection titles; sections 2, 3 and 5 have none. 9.9 and 9.10 have titles but no
#: runnable case (9.9.1 is not in Autobahn's case list).
SUBSECTION_TITLES: dict[str, str] = {
    "1.1": "Text Messages",
    "1.2": "Binary Messages",
    "4.1": "Non-control Opcodes",
    "4.2": "Control Opcodes",
    "6.1": "Valid UTF-8 with zero payload fragments",
    "6.2": "Valid UTF-8 unfragmented, fragmented on code-points and within code-points",
    "6.3": "Invalid UTF-8 differently fragmented",
    "6.4": "Fail-fast on invalid UTF-8",
    **s06_utf8.SUBSECTION_TITLES,
    "7.1": "Basic close behavior (fuzzer initiated)",
    "7.3": "Close frame structure: payload length (fuzzer initiated)",
    "7.5": "Close frame structure: payload value (fuzzer initiated)",
    "7.7": "Close frame structure: valid close codes (fuzzer initiated)",
    "7.9": "Close frame structure: invalid close codes (fuzzer initiated)",
    "7.13": "Informational close information (fuzzer initiated)",
    "9.1": "Text Message (increasing size)",
    "9.2": "Binary Message (increasing size)",
    "9.3": "Fragmented Text Message (fixed size, increasing fragment size)",
    "9.4": "Fragmented Binary Message (fixed size, increasing fragment size)",
    "9.5": "Text Message (fixed size, increasing chop size)",
    "9.6": "Binary Text Message (fixed size, increasing chop size)",
    "9.7": "Text Message Roundtrip Time (fixed number, increasing size)",
    "9.8": "Binary Message Roundtrip Time (fixed number, increasing size)",
    "9.9": "Text Message (unlimited size)",
    "9.10": "Binary Message (unlimited size)",
    "10.1": "Auto-Fragmentation",
    **s12_deflate.SUBSECTION_TITLES,
    **s13_deflate_params.SUBSECTION_TITLES,
    **families.SUBSECTION_TITLES,
}


def _ordered(*sections: Iterable[Case]) -> tuple[Case, ...]:
    cases = [case for section in sections for case in section]
    ordered = sorted(cases, key=lambda c: c.sort_key)
    ids = [case.id for case in ordered]
    if len(set(ids)) != len(ids):
        duplicates = sorted({i for i in ids if ids.count(i) > 1}, key=case_sort_key)
        raise ValueError(f"duplicate case ids in the catalog: {duplicates}")
    return tuple(ordered)


#: Autobahn's 517 cases in Autobahn's order.
AUTOBAHN_CASES: tuple[Case, ...] = _ordered(
    s01_framing.CASES,
    s02_pings.CASES,
    s03_reserved_bits.CASES,
    s04_opcodes.CASES,
    s05_fragmentation.CASES,
    s06_utf8.CASES,
    s07_close.CASES,
    s09_limits.CASES,
    s10_misc.CASES,
    s12_deflate.CASES,
    s13_deflate_params.CASES,
)

#: wsconform's own cases, in family order (:data:`.ids.FAMILIES`).
WSCONFORM_CASES: tuple[Case, ...] = _ordered(families.CASES)

#: Every case: Autobahn's first, so their run indices stay 1-517, then wsconform's.
CASES: tuple[Case, ...] = _ordered(AUTOBAHN_CASES, WSCONFORM_CASES)

#: The catalogs ``--catalog`` names; ``all`` is both.
CATALOGS: dict[str, tuple[Case, ...]] = {
    "autobahn": AUTOBAHN_CASES,
    "wsconform": WSCONFORM_CASES,
    "all": CASES,
}

_BY_ID: dict[str, Case] = {case.id: case for case in CASES}
_INDEX: dict[str, int] = {case.id: i for i, case in enumerate(CASES, start=1)}


def get(case_id: str) -> Case:
    """The case with this id.

    Raises:
        UnknownCaseError: no such case.
    """
    try:
        return _BY_ID[case_id]
    except KeyError:
        raise UnknownCaseError(case_id) from None


def run_index(case_id: str) -> int:
    """The 1-based position of a case in the full catalog.

    Raises:
        UnknownCaseError: no such case.
    """
    try:
        return _INDEX[case_id]
    except KeyError:
        raise UnknownCaseError(case_id) from None


def section_title(section: int | str) -> str:
    """A section's title, by number or label (``6``, ``"6"``, ``"hs"``); an unknown
    Autobahn number shows ``Misc``, as in Autobahn's report."""
    if isinstance(section, str):
        family = FAMILIES.get(section)
        if family is not None:
            return family.title
        if not section.isdigit():
            return "Misc"
        section = int(section)
    return SECTION_TITLES.get(section, "Misc")


def subsection_title(subsection: str) -> str | None:
    """A subsection's title (``"6.4"`` -> ``"Fail-fast on invalid UTF-8"``), if it has one."""
    return SUBSECTION_TITLES.get(subsection)


def _compile(pattern: str, *, whole: bool) -> re.Pattern[str]:
    expression = pattern.replace(".", r"\.").replace("*", ".*")
    try:
        return re.compile(expression + (r"\Z" if whole else ""))
    except re.error as exc:
        raise CasePatternError(pattern, str(exc)) from exc


def matches(pattern: str, case_id: str, *, whole: bool = False) -> bool:
    """Whether a pattern selects a case id.

    Without ``*`` the pattern is a literal id; with ``*`` it is rewritten to a regular
    expression matched at the start of the id (``whole=True``: the whole id, the rule
    of ``exclude-agent-cases``, which applies the rewriting to every pattern).

    Raises:
        CasePatternError: the rewritten pattern is not a valid regular expression.
    """
    if "*" not in pattern and not whole:
        return pattern == case_id
    return _compile(pattern, whole=whole).match(case_id) is not None


def _expand(patterns: Sequence[str], pool: Sequence[Case]) -> set[str]:
    chosen: set[str] = set()
    for pattern in patterns:
        if "*" in pattern:
            regex = _compile(pattern, whole=False)
            chosen.update(case.id for case in pool if regex.match(case.id))
        elif pattern in _BY_ID:
            chosen.add(pattern)
        else:
            # Autobahn crashes later on an unknown literal id; say so now instead.
            raise UnknownCaseError(pattern)
    return chosen


def select(
    cases: Sequence[str] = ("*",),
    exclude: Sequence[str] = (),
    *,
    catalog: str = "all",
    target: str | None = None,
) -> list[Case]:
    """The cases chosen by ``cases`` minus ``exclude``, in catalog order.

    ``*`` patterns look only into ``catalog`` (a key of :data:`CATALOGS`); a literal id
    names its case in any catalog. ``target`` (``"server"`` or ``"client"``) drops the
    cases that do not test that kind of peer (:attr:`.model.Case.applies_to`).

    Raises:
        UnknownCaseError: a literal pattern names no case.
        CasePatternError: a ``*`` pattern is not a valid regular expression once rewritten.
        KeyError: ``catalog`` is not a key of :data:`CATALOGS`.
    """
    pool = CATALOGS[catalog]
    chosen = _expand(cases, pool) - _expand(exclude, CASES)
    return [
        case
        for case in CASES
        if case.id in chosen and (target is None or case.applies_to_role(target))
    ]


def agent_case_excluded(
    exclude_agent_cases: Mapping[str, Sequence[str]], agent: str, case_id: str
) -> bool:
    """Autobahn's ``exclude-agent-cases``: skip ``case_id`` for ``agent``?

    True when an agent pattern matches the whole agent name and one of its case patterns
    matches the whole case id.

    Raises:
        CasePatternError: a pattern is not a valid regular expression once rewritten.
    """
    return any(
        matches(agent_pattern, agent, whole=True)
        and any(matches(p, case_id, whole=True) for p in case_patterns)
        for agent_pattern, case_patterns in exclude_agent_cases.items()
    )
