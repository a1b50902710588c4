"""Case ids: Autobahn's stay as they are, wsconform's families never collide with them."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases.exceptions import InvalidCase
from wsconform.cases.ids import (
    FAMILIES,
    FAMILY_BASE,
    case_sort_key,
    family_of,
    is_autobahn_id,
    section_label,
    subsection_label,
    valid_case_id,
)

from .test_model import make


def test_autobahn_ids_keep_their_number_tuples() -> None:
    assert case_sort_key("6.4.1") == (6, 4, 1)
    assert case_sort_key("2.10") == (2, 10)
    assert sorted(["10.1.1", "2.10", "2.9", "12.1.1"], key=case_sort_key) == [
        "2.9",
        "2.10",
        "10.1.1",
        "12.1.1",
    ]


def test_families_sort_after_autobahn_in_family_order() -> None:
    ids = ["corpus.00ff00ff", "cl.1.1", "fr.2", "hc.1.1", "hs.10.1", "hs.2.1", "13.7.18"]
    assert sorted(ids, key=case_sort_key) == [
        "13.7.18",
        "hs.2.1",
        "hs.10.1",
        "hc.1.1",
        "fr.2",
        "cl.1.1",
        "corpus.00ff00ff",
    ]
    assert case_sort_key("hs.1.1")[0] > FAMILY_BASE > case_sort_key("13.7.18")[0]
    assert case_sort_key("corpus.000000ff") == (FAMILY_BASE + FAMILIES["corpus"].rank, 255)


@pytest.mark.parametrize(
    "case_id",
    ["1", "0.1", "1.01", "1.1.1.1", "hs", "hs.0", "xx.1.1", "HS.1.1", "hs.1.1.1",
     "corpus.1.1", "corpus.abc", "corpus.ABCDEF01", "corpus." + "a" * 17, "6.4.1 "],
)  # fmt: skip
def test_bad_ids_are_refused(case_id: str) -> None:
    assert not valid_case_id(case_id)
    with pytest.raises(InvalidCase):
        make(case_id)


@pytest.mark.parametrize("case_id", ["xx.1.1", "HS.1.1", "6.4.1 ", "6.x", "hs.a", "corpus.xyz", ""])
def test_what_cannot_sort_is_refused(case_id: str) -> None:
    with pytest.raises(ValueError, match="not a case id"):
        case_sort_key(case_id)


def test_sections_and_subsections_sort_like_ids() -> None:
    assert sorted(["10", "2", "hs", "6.4", "6.10"], key=case_sort_key) == [
        "2",
        "6.4",
        "6.10",
        "10",
        "hs",
    ]


def test_what_an_id_says_about_itself() -> None:
    assert is_autobahn_id("9.1.1") and not is_autobahn_id("fr.1.1")
    assert family_of("9.1.1") is None and family_of("fr.1.1") is FAMILIES["fr"]
    assert family_of("corpus.0123abcd") is FAMILIES["corpus"]
    assert [section_label(i) for i in ("6.4.1", "2.3", "hs.1.2")] == ["6", "2", "hs"]
    assert [subsection_label(i) for i in ("6.4.1", "2.3", "hs.1.2", "corpus.0123abcd")] == [
        "6.4",
        None,
        "hs.1",
        None,
    ]


def test_a_family_case_knows_its_section_and_the_targets_it_applies_to() -> None:
    case = make("hs.3.1", applies_to="server")
    assert case.section_label == "hs" and case.subsection == "hs.3"
    assert case.section > 13
    assert case.applies_to_role("server") and not case.applies_to_role("client")
    assert make("fr.1.1").applies_to_role("client")
    with pytest.raises(InvalidCase, match="applies_to"):
        make("fr.1.1", applies_to="proxy")


def test_family_titles_show_as_section_titles() -> None:
    assert catalog.section_title("hs") == FAMILIES["hs"].title
    assert catalog.section_title("6") == catalog.section_title(6) == "UTF-8 Handling"
    assert catalog.section_title("99") == catalog.section_title("zz") == "Misc"


def test_autobahns_catalog_keeps_its_517_cases_and_run_indices_first() -> None:
    assert len(catalog.AUTOBAHN_CASES) == 517
    assert catalog.CASES[:517] == catalog.AUTOBAHN_CASES
    assert catalog.run_index("13.7.18") == 517
    assert all(not is_autobahn_id(case.id) for case in catalog.WSCONFORM_CASES)
    ours = [catalog.run_index(case.id) for case in catalog.WSCONFORM_CASES]
    assert ours == list(range(518, 518 + len(ours)))
