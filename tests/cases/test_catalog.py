"""The catalog: counts and run indices, pattern rules (docs/autobahn.md sections 1.1-1.3)."""

from __future__ import annotations

import collections

import pytest

from wsconform.cases import catalog
from wsconform.cases.exceptions import CasePatternError, UnknownCaseError
from wsconform.cases.model import case_sort_key

#: Subsection -> (number of cases, first run index, last run index), from Autobahn's case list.
SUBSECTIONS: dict[str, tuple[int, int, int]] = {
    "1.1": (8, 1, 8),
    "1.2": (8, 9, 16),
    "2": (11, 17, 27),
    "3": (7, 28, 34),
    "4.1": (5, 35, 39),
    "4.2": (5, 40, 44),
    "5": (20, 45, 64),
    "6.1": (3, 65, 67),
    "6.2": (4, 68, 71),
    "6.3": (2, 72, 73),
    "6.4": (4, 74, 77),
    "6.5": (5, 78, 82),
    "6.6": (11, 83, 93),
    "6.7": (4, 94, 97),
    "6.8": (2, 98, 99),
    "6.9": (4, 100, 103),
    "6.10": (3, 104, 106),
    "6.11": (5, 107, 111),
    "6.12": (8, 112, 119),
    "6.13": (5, 120, 124),
    "6.14": (10, 125, 134),
    "6.15": (1, 135, 135),
    "6.16": (3, 136, 138),
    "6.17": (5, 139, 143),
    "6.18": (5, 144, 148),
    "6.19": (5, 149, 153),
    "6.20": (7, 154, 160),
    "6.21": (8, 161, 168),
    "6.22": (34, 169, 202),
    "6.23": (7, 203, 209),
    "7.1": (6, 210, 215),
    "7.3": (6, 216, 221),
    "7.5": (1, 222, 222),
    "7.7": (13, 223, 235),
    "7.9": (9, 236, 244),
    "7.13": (2, 245, 246),
    "9.1": (6, 247, 252),
    "9.2": (6, 253, 258),
    "9.3": (9, 259, 267),
    "9.4": (9, 268, 276),
    "9.5": (6, 277, 282),
    "9.6": (6, 283, 288),
    "9.7": (6, 289, 294),
    "9.8": (6, 295, 300),
    "10.1": (1, 301, 301),
    "12.1": (18, 302, 319),
    "12.2": (18, 320, 337),
    "12.3": (18, 338, 355),
    "12.4": (18, 356, 373),
    "12.5": (18, 374, 391),
    "13.1": (18, 392, 409),
    "13.2": (18, 410, 427),
    "13.3": (18, 428, 445),
    "13.4": (18, 446, 463),
    "13.5": (18, 464, 481),
    "13.6": (18, 482, 499),
    "13.7": (18, 500, 517),
}

#: Section -> (cases, first run index, last run index), docs/autobahn.md section 1.1.
SECTIONS: dict[int, tuple[int, int, int]] = {
    1: (16, 1, 16),
    2: (11, 17, 27),
    3: (7, 28, 34),
    4: (10, 35, 44),
    5: (20, 45, 64),
    6: (145, 65, 209),
    7: (37, 210, 246),
    9: (54, 247, 300),
    10: (1, 301, 301),
    12: (90, 302, 391),
    13: (126, 392, 517),
}


def _group(case_id: str) -> str:
    parts = case_id.split(".")
    return ".".join(parts[:2]) if len(parts) == 3 else parts[0]


def test_exports() -> None:
    for name in catalog.__all__:
        assert hasattr(catalog, name), name


def test_order_is_numeric_and_ids_unique() -> None:
    ids = [case.id for case in catalog.CASES]
    assert ids == sorted(ids, key=case_sort_key)
    assert len(set(ids)) == len(ids)
    assert [catalog.run_index(i) for i in ids] == list(range(1, len(ids) + 1))


def test_counts_and_run_indices_per_subsection() -> None:
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for case in catalog.AUTOBAHN_CASES:
        groups[_group(case.id)].append(catalog.run_index(case.id))
    assert sorted(groups, key=case_sort_key) == list(SUBSECTIONS)
    for group, (count, first, last) in SUBSECTIONS.items():
        indices = groups[group]
        assert (len(indices), indices[0], indices[-1]) == (count, first, last), group


def test_counts_per_section() -> None:
    assert len(catalog.AUTOBAHN_CASES) == 517
    sections: dict[int, list[int]] = collections.defaultdict(list)
    for case in catalog.AUTOBAHN_CASES:
        sections[case.section].append(catalog.run_index(case.id))
    assert {s: (len(i), i[0], i[-1]) for s, i in sections.items()} == SECTIONS
    # Without the compression sections: 301 cases.
    assert sum(1 for case in catalog.AUTOBAHN_CASES if case.section < 12) == 301


def test_anchor_run_indices() -> None:
    anchors = {"1.1.1": 1, "2.1": 17, "3.1": 28, "4.1.1": 35, "5.1": 45, "6.1.1": 65}
    anchors |= {"6.5.1": 78, "7.1.1": 210, "9.1.1": 247, "10.1.1": 301, "12.1.1": 302}
    anchors |= {"13.1.1": 392, "13.7.18": 517}
    assert {i: catalog.run_index(i) for i in anchors} == anchors


def test_titles() -> None:
    assert catalog.section_title(6) == "UTF-8 Handling"
    assert catalog.section_title(10) == "Misc"
    assert catalog.section_title(11) == "Misc"
    assert catalog.subsection_title("6.4") == "Fail-fast on invalid UTF-8"
    assert catalog.subsection_title("6.21") == "Paired UTF-16 surrogates"
    assert catalog.subsection_title("7.13") == "Informational close information (fuzzer initiated)"
    assert catalog.subsection_title("3") is None
    assert catalog.subsection_title("9.6") == (
        "Binary Text Message (fixed size, increasing chop size)"
    )
    assert catalog.subsection_title("12.3") == (
        "Human readable text, Goethe's Faust I (German) (binary, 222218 bytes)"
    )
    assert catalog.subsection_title("13.1") == (
        "Large JSON data file (utf8, 194056 bytes) - client offers "
        "(requestNoContextTakeover, requestMaxWindowBits): [(False, 0)] / server accept "
        "(requestNoContextTakeover, requestMaxWindowBits): [(False, 0)]"
    )
    assert catalog.subsection_title("13.7") == (
        "Large JSON data file (utf8, 194056 bytes) - client offers "
        "(requestNoContextTakeover, requestMaxWindowBits): [(True, 9), (True, 0), (False, 0)]"
        " / server accept (requestNoContextTakeover, requestMaxWindowBits): "
        "[(True, 9), (True, 0), (False, 0)]"
    )
    for case in catalog.CASES:
        if case.subsection is not None:
            assert catalog.subsection_title(case.subsection), case.id


def test_lookup_errors() -> None:
    with pytest.raises(UnknownCaseError, match=r"6\.4"):
        catalog.get("6.4")
    with pytest.raises(UnknownCaseError):
        catalog.run_index("11.1.1")
    with pytest.raises(UnknownCaseError):
        catalog.get("9.9.1")  # listed by Autobahn, but not in its case list


def _ids(cases: list[str], exclude: list[str] | None = None) -> list[str]:
    return [case.id for case in catalog.select(cases, exclude or [])]


def test_star_selects_everything() -> None:
    assert _ids(["*"]) == [case.id for case in catalog.CASES]


def test_prefix_patterns() -> None:
    assert _ids(["6.4.*"]) == ["6.4.1", "6.4.2", "6.4.3", "6.4.4"]
    assert _ids(["2.*"]) == [f"2.{n}" for n in range(1, 12)]
    # "1*" is a start-anchored ".*"-pattern: sections 1, 10, 12 and 13.
    assert {catalog.get(i).section for i in _ids(["1*"])} == {1, 10, 12, 13}
    assert len(_ids(["1*"])) == 16 + 1 + 90 + 126
    assert _ids(["9.*"]) == [case.id for case in catalog.CASES if case.section == 9]
    assert "10.1.1" in _ids(["1*"]) and "1.2.8" in _ids(["1*"])
    # "7.1*" matches 7.1.x and 7.13.x, but not 7.3.
    assert _ids(["7.1*"]) == [f"7.1.{n}" for n in range(1, 7)] + ["7.13.1", "7.13.2"]
    # A "*" pattern matches at the start only, with no end anchor.
    assert _ids(["*.13.*"]) == [f"6.13.{n}" for n in range(1, 6)] + ["7.13.1", "7.13.2"]


def test_literal_patterns() -> None:
    assert _ids(["6.4.1"]) == ["6.4.1"]
    with pytest.raises(UnknownCaseError):
        _ids(["6.4"])
    with pytest.raises(UnknownCaseError):
        _ids(["*"], ["9.9.1"])


def test_union_minus_exclusions_sorted() -> None:
    chosen = _ids(["2.10", "1.1.1", "2.*", "2.9"], ["2.1*", "2.5"])
    assert chosen == ["1.1.1", "2.2", "2.3", "2.4", "2.6", "2.7", "2.8", "2.9"]
    assert _ids(["6.*"], ["6.*"]) == []


def test_bad_regex_pattern() -> None:
    with pytest.raises(CasePatternError):
        _ids(["6.[*"])
    # Other metacharacters are not escaped: they act as regular expression syntax.
    assert _ids(["6.(4|3).1*"]) == ["6.3.1", "6.4.1"]


def test_agent_exclusions_are_anchored_both_ends() -> None:
    rules = {"Autobahn*": ["6.4.*", "2.1"], "exact": ["*"]}
    assert catalog.agent_case_excluded(rules, "AutobahnServer/1.0", "6.4.3")
    assert catalog.agent_case_excluded(rules, "AutobahnServer/1.0", "2.1")
    assert not catalog.agent_case_excluded(rules, "AutobahnServer/1.0", "2.10")
    assert not catalog.agent_case_excluded(rules, "MyAutobahn", "6.4.3")
    assert catalog.agent_case_excluded(rules, "exact", "13.7.18")
    assert not catalog.agent_case_excluded(rules, "exactly", "1.1.1")
    assert catalog.matches("6.4.*", "6.4.1")
    assert not catalog.matches("6.4", "6.4.1")
    assert catalog.matches("6.4.*", "6.4.1", whole=True)
    assert not catalog.matches("6.4", "6.4.1", whole=True)
    # The "." is escaped: it does not match any character.
    assert not catalog.matches("6.4.1", "6x4x1", whole=True)


def test_every_case_arms_a_timer() -> None:
    # The runner relies on it: a silent peer can never stall a case forever.
    for case in catalog.CASES:
        assert case.kill_after is not None or case.close_after is not None, case.id


def test_peer_closing_cases_use_kill_after() -> None:
    for case in catalog.CASES:
        if not case.expected_close.closed_by_me:
            assert case.kill_after is not None, case.id
