"""6.5-6.23: every generated case against Autobahn's vector table (case/case6_x_x.py).

The table below was transcribed from Autobahn's case/case6_x_x.py (id, run index, valid, payload),
independently of :mod:`wsconform.cases.utf8_vectors`, which builds the vectors from rules.
"""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases.common import PEER_FAILS_1007, TESTER_CLOSES
from wsconform.cases.model import OK, KillAfter, Message, SendMessage
from wsconform.cases.utf8_vectors import GROUPS

TABLE: list[tuple[str, int, bool, str]] = [
    ("6.5.1", 78, True, "68656c6c6f24776f726c64"),
    ("6.5.2", 79, True, "68656c6c6fc2a2776f726c64"),
    ("6.5.3", 80, True, "68656c6c6fe282ac776f726c64"),
    ("6.5.4", 81, True, "68656c6c6ff0a4ada2776f726c64"),
    ("6.5.5", 82, True, "cebae1bdb9cf83cebcceb5"),
    ("6.6.1", 83, False, "ce"),
    ("6.6.2", 84, True, "ceba"),
    ("6.6.3", 85, False, "cebae1"),
    ("6.6.4", 86, False, "cebae1bd"),
    ("6.6.5", 87, True, "cebae1bdb9"),
    ("6.6.6", 88, False, "cebae1bdb9cf"),
    ("6.6.7", 89, True, "cebae1bdb9cf83"),
    ("6.6.8", 90, False, "cebae1bdb9cf83ce"),
    ("6.6.9", 91, True, "cebae1bdb9cf83cebc"),
    ("6.6.10", 92, False, "cebae1bdb9cf83cebcce"),
    ("6.6.11", 93, True, "cebae1bdb9cf83cebcceb5"),
    ("6.7.1", 94, True, "00"),
    ("6.7.2", 95, True, "c280"),
    ("6.7.3", 96, True, "e0a080"),
    ("6.7.4", 97, True, "f0908080"),
    ("6.8.1", 98, False, "f888808080"),
    ("6.8.2", 99, False, "fc8480808080"),
    ("6.9.1", 100, True, "7f"),
    ("6.9.2", 101, True, "dfbf"),
    ("6.9.3", 102, True, "efbfbf"),
    ("6.9.4", 103, True, "f48fbfbf"),
    ("6.10.1", 104, False, "f7bfbfbf"),
    ("6.10.2", 105, False, "fbbfbfbfbf"),
    ("6.10.3", 106, False, "fdbfbfbfbfbf"),
    ("6.11.1", 107, True, "ed9fbf"),
    ("6.11.2", 108, True, "ee8080"),
    ("6.11.3", 109, True, "efbfbd"),
    ("6.11.4", 110, True, "f48fbfbf"),
    ("6.11.5", 111, False, "f4908080"),
    ("6.12.1", 112, False, "80"),
    ("6.12.2", 113, False, "bf"),
    ("6.12.3", 114, False, "80bf"),
    ("6.12.4", 115, False, "80bf80"),
    ("6.12.5", 116, False, "80bf80bf"),
    ("6.12.6", 117, False, "80bf80bf80"),
    ("6.12.7", 118, False, "80bf80bf80bf"),
    (
        "6.12.8",
        119,
        False,
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbe",
    ),
    (
        "6.13.1",
        120,
        False,
        "c020c120c220c320c420c520c620c720c820c920ca20cb20cc20cd20ce20cf20d020d120d220d320d420d520d620d720d820d920da20db20dc20dd20de20",
    ),
    ("6.13.2", 121, False, "e020e120e220e320e420e520e620e720e820e920ea20eb20ec20ed20ee20"),
    ("6.13.3", 122, False, "f020f120f220f320f420f520f620"),
    ("6.13.4", 123, False, "f820f920fa20"),
    ("6.13.5", 124, False, "fc20"),
    ("6.14.1", 125, False, "c0"),
    ("6.14.2", 126, False, "e080"),
    ("6.14.3", 127, False, "f08080"),
    ("6.14.4", 128, False, "f8808080"),
    ("6.14.5", 129, False, "fc80808080"),
    ("6.14.6", 130, False, "df"),
    ("6.14.7", 131, False, "efbf"),
    ("6.14.8", 132, False, "f7bfbf"),
    ("6.14.9", 133, False, "fbbfbfbf"),
    ("6.14.10", 134, False, "fdbfbfbfbf"),
    ("6.15.1", 135, False, "c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf"),
    ("6.16.1", 136, False, "fe"),
    ("6.16.2", 137, False, "ff"),
    ("6.16.3", 138, False, "fefeffff"),
    ("6.17.1", 139, False, "c0af"),
    ("6.17.2", 140, False, "e080af"),
    ("6.17.3", 141, False, "f08080af"),
    ("6.17.4", 142, False, "f8808080af"),
    ("6.17.5", 143, False, "fc80808080af"),
    ("6.18.1", 144, False, "c1bf"),
    ("6.18.2", 145, False, "e09fbf"),
    ("6.18.3", 146, False, "f08fbfbf"),
    ("6.18.4", 147, False, "f887bfbfbf"),
    ("6.18.5", 148, False, "fc83bfbfbfbf"),
    ("6.19.1", 149, False, "c080"),
    ("6.19.2", 150, False, "e08080"),
    ("6.19.3", 151, False, "f0808080"),
    ("6.19.4", 152, False, "f880808080"),
    ("6.19.5", 153, False, "fc8080808080"),
    ("6.20.1", 154, False, "eda080"),
    ("6.20.2", 155, False, "edadbf"),
    ("6.20.3", 156, False, "edae80"),
    ("6.20.4", 157, False, "edafbf"),
    ("6.20.5", 158, False, "edb080"),
    ("6.20.6", 159, False, "edbe80"),
    ("6.20.7", 160, False, "edbfbf"),
    ("6.21.1", 161, False, "eda080edb080"),
    ("6.21.2", 162, False, "eda080edbfbf"),
    ("6.21.3", 163, False, "edadbfedb080"),
    ("6.21.4", 164, False, "edadbfedbfbf"),
    ("6.21.5", 165, False, "edae80edb080"),
    ("6.21.6", 166, False, "edae80edbfbf"),
    ("6.21.7", 167, False, "edafbfedb080"),
    ("6.21.8", 168, False, "edafbfedbfbf"),
    ("6.22.1", 169, True, "efbfbe"),
    ("6.22.2", 170, True, "efbfbf"),
    ("6.22.3", 171, True, "f09fbfbe"),
    ("6.22.4", 172, True, "f09fbfbf"),
    ("6.22.5", 173, True, "f0afbfbe"),
    ("6.22.6", 174, True, "f0afbfbf"),
    ("6.22.7", 175, True, "f0bfbfbe"),
    ("6.22.8", 176, True, "f0bfbfbf"),
    ("6.22.9", 177, True, "f18fbfbe"),
    ("6.22.10", 178, True, "f18fbfbf"),
    ("6.22.11", 179, True, "f19fbfbe"),
    ("6.22.12", 180, True, "f19fbfbf"),
    ("6.22.13", 181, True, "f1afbfbe"),
    ("6.22.14", 182, True, "f1afbfbf"),
    ("6.22.15", 183, True, "f1bfbfbe"),
    ("6.22.16", 184, True, "f1bfbfbf"),
    ("6.22.17", 185, True, "f28fbfbe"),
    ("6.22.18", 186, True, "f28fbfbf"),
    ("6.22.19", 187, True, "f29fbfbe"),
    ("6.22.20", 188, True, "f29fbfbf"),
    ("6.22.21", 189, True, "f2afbfbe"),
    ("6.22.22", 190, True, "f2afbfbf"),
    ("6.22.23", 191, True, "f2bfbfbe"),
    ("6.22.24", 192, True, "f2bfbfbf"),
    ("6.22.25", 193, True, "f38fbfbe"),
    ("6.22.26", 194, True, "f38fbfbf"),
    ("6.22.27", 195, True, "f39fbfbe"),
    ("6.22.28", 196, True, "f39fbfbf"),
    ("6.22.29", 197, True, "f3afbfbe"),
    ("6.22.30", 198, True, "f3afbfbf"),
    ("6.22.31", 199, True, "f3bfbfbe"),
    ("6.22.32", 200, True, "f3bfbfbf"),
    ("6.22.33", 201, True, "f48fbfbe"),
    ("6.22.34", 202, True, "f48fbfbf"),
    ("6.23.1", 203, True, "efbfb9"),
    ("6.23.2", 204, True, "efbfba"),
    ("6.23.3", 205, True, "efbfbb"),
    ("6.23.4", 206, True, "efbfbc"),
    ("6.23.5", 207, True, "efbfbd"),
    ("6.23.6", 208, True, "efbfbe"),
    ("6.23.7", 209, True, "efbfbf"),
]


def test_table_is_complete() -> None:
    assert len(TABLE) == 132
    assert sum(valid for _, _, valid, _ in TABLE) == 63
    assert sum(len(group.vectors) for group in GROUPS) == 132


@pytest.mark.parametrize(("case_id", "index", "valid", "payload"), TABLE)
def test_vector_case(case_id: str, index: int, valid: bool, payload: str) -> None:
    case = catalog.get(case_id)
    data = bytes.fromhex(payload)
    assert catalog.run_index(case_id) == index
    assert case.steps == (SendMessage(data), KillAfter(0.5))
    if valid:
        assert dict(case.expected) == {OK: (Message(data),)}
        assert case.expected_close == TESTER_CLOSES
    else:
        assert dict(case.expected) == {OK: ()}
        assert case.expected_close == PEER_FAILS_1007
    assert payload in case.description


@pytest.mark.parametrize(("case_id", "index", "valid", "payload"), TABLE)
def test_validity_is_strict_utf8(case_id: str, index: int, valid: bool, payload: str) -> None:
    # Python's codec is strict RFC 3629 UTF-8: no surrogates, overlongs or 5/6-byte forms.
    try:
        bytes.fromhex(payload).decode("utf-8")
    except UnicodeDecodeError:
        decodes = False
    else:
        decodes = True
    assert decodes == valid, case_id
