"""Sections 12 and 13 against docs/autobahn.md sections 6.6-6.8 and case/case12_x_x.py."""

from __future__ import annotations

from wsconform.cases import catalog
from wsconform.cases.common import TESTER_CLOSES
from wsconform.cases.deflate import offers_header
from wsconform.cases.model import CloseAfter, EchoLoop, RequireDeflate, SetWirelog
from wsconform.cases.s12_deflate import MSG_SIZES
from wsconform.cases.s13_deflate_params import PARAMETER_SETS

#: ``MSG_SIZES`` of Autobahn's case/case12_x_x.py: LEN, messages, WAITSECS, AUTOFRAG per row k.
GRID = [
    (16, 1000, 60, 0),
    (64, 1000, 60, 0),
    (256, 1000, 120, 0),
    (1024, 1000, 240, 0),
    (4096, 1000, 480, 0),
    (8192, 1000, 480, 0),
    (16384, 1000, 480, 0),
    (32768, 1000, 480, 0),
    (65536, 1000, 480, 0),
    (131072, 1000, 480, 0),
    (8192, 1000, 480, 256),
    (16384, 1000, 480, 256),
    (32768, 1000, 480, 256),
    (65536, 1000, 480, 256),
    (131072, 1000, 480, 256),
    (131072, 1000, 480, 1024),
    (131072, 1000, 480, 4096),
    (131072, 1000, 480, 32768),
]

#: Data file and binary flag of 12.1-12.5, in that fixed order (docs/autobahn.md section 6.7).
FILES = [
    ("json_data1", False),
    ("lena512", True),
    ("gutenberg_faust", True),
    ("html_data1", False),
    ("ooms", True),
]

BASE = "permessage-deflate; client_no_context_takeover; client_max_window_bits"

#: The exact request header of 12.x/13.1 ... 13.7 (docs/autobahn.md section 6.8).
HEADERS = [
    BASE,
    BASE + "; server_no_context_takeover",
    BASE + "; server_max_window_bits=9",
    BASE + "; server_max_window_bits=15",
    BASE + "; server_no_context_takeover; server_max_window_bits=9",
    BASE + "; server_no_context_takeover; server_max_window_bits=15",
    f"{BASE}; server_no_context_takeover; server_max_window_bits=9, "
    f"{BASE}; server_no_context_takeover, {BASE}",
]


def test_grid() -> None:
    assert list(MSG_SIZES) == GRID
    assert sum(row[0] for row in GRID) == 906576


def test_section_12_cases() -> None:
    for j, (key, binary) in enumerate(FILES, start=1):
        for k, (length, count, wait, autofrag) in enumerate(GRID, start=1):
            case = catalog.get(f"12.{j}.{k}")
            loop = EchoLoop(count, length, binary, wait, data_file=key)
            assert case.steps == (SetWirelog(False), RequireDeflate(), CloseAfter(wait), loop)
            assert case.options.auto_fragment_size == autofrag
            assert case.options.deflate is not None
            assert offers_header(case.options.deflate.offers) == BASE
            assert case.options.deflate.accept.label() == "[(False, 0)]"
            assert dict(case.expected) == {}
            assert case.expected_close == TESTER_CLOSES
            assert case.report_time and case.report_compression_ratio


def test_section_13_cases() -> None:
    assert len(PARAMETER_SETS) == 7
    for j, header in enumerate(HEADERS, start=1):
        for k, (length, count, wait, autofrag) in enumerate(GRID, start=1):
            case = catalog.get(f"13.{j}.{k}")
            assert case.options.deflate is not None
            assert offers_header(case.options.deflate.offers) == header
            assert case.options.auto_fragment_size == autofrag
            loop = case.steps[-1]
            assert loop == EchoLoop(count, length, False, wait, data_file="json_data1")
            assert case.report_compression_ratio


def test_13_accept_rules() -> None:
    labels = [s.accept.label() for s in PARAMETER_SETS]
    assert labels == [
        "[(False, 0)]",
        "[(True, 0)]",
        "[(False, 9)]",
        "[(False, 15)]",
        "[(True, 9)]",
        "[(True, 15)]",
        "[(True, 9), (True, 0), (False, 0)]",
    ]
