"""Stand-ins of the 12.x data files: sizes, determinism, character, compressibility."""

from __future__ import annotations

import hashlib
import json
import pathlib
import struct
import zlib

import pytest

from wsconform.cases import testdata
from wsconform.cases.testdata import FILES, by_key, generate, load

#: Raw-deflate level-6 size ratio of Autobahn's original files, measured once.
ORIGINAL_RATIOS = {
    "json_data1": 0.0435,
    "lena512": 0.8506,
    "gutenberg_faust": 0.3886,
    "html_data1": 0.0554,
    "ooms": 0.7577,
}


def _ratio(data: bytes) -> float:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return len(compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)) / len(data)


def test_exports() -> None:
    for name in testdata.__all__:
        assert hasattr(testdata, name), name


def test_files_table() -> None:
    assert [f.key for f in FILES] == [
        "json_data1",
        "lena512",
        "gutenberg_faust",
        "html_data1",
        "ooms",
    ]
    assert [f.size for f in FILES] == [194056, 263222, 222218, 263647, 1042328]
    assert [f.binary for f in FILES] == [False, True, True, False, True]
    assert by_key("html_data1").title == "Large HTML file (utf8, 263647 bytes)"
    with pytest.raises(KeyError):
        by_key("nope")


@pytest.mark.parametrize("data_file", FILES, ids=lambda f: f.key)
def test_stand_in(data_file: testdata.DataFile) -> None:
    data = generate(data_file.key)
    assert len(data) == data_file.size
    assert generate.__wrapped__(data_file.key) == data  # deterministic, not just cached
    if data_file.code_points is not None:
        assert len(data.decode("utf-8")) == data_file.code_points
    ratio = _ratio(data)
    original = ORIGINAL_RATIOS[data_file.key]
    assert abs(ratio - original) <= 0.1 * original + 0.01, (ratio, original)


def test_stand_ins_have_the_originals_character() -> None:
    document = json.loads(generate("json_data1"))
    assert all(isinstance(cases, dict) for cases in document.values() if cases != document["~"])
    bitmap = generate("lena512")
    assert bitmap[:2] == b"BM"
    assert struct.unpack("<ii", bitmap[18:26]) == (512, 512)
    assert struct.unpack("<H", bitmap[28:30]) == (8,)
    faust = generate("gutenberg_faust")
    assert faust.startswith(b"\xef\xbb\xbf")
    assert "ö".encode() in faust
    page = generate("html_data1").decode()
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    assert sum(1 for c in page if ord(c) > 127) == 26
    assert generate("ooms").startswith(b"%PDF-1.2")


def test_stable_bytes() -> None:
    # The stand-ins must not change by accident: 12.x results depend on them.
    digests = {f.key: hashlib.sha256(generate(f.key)).hexdigest()[:16] for f in FILES}
    assert digests == EXPECTED_DIGESTS


def test_load_originals_from_a_directory(tmp_path: pathlib.Path) -> None:
    (tmp_path / "data1.json").write_bytes(b'{"a": 1}')
    assert load("json_data1", tmp_path) == b'{"a": 1}'
    assert load("json_data1") == generate("json_data1")
    with pytest.raises(FileNotFoundError):
        load("lena512", tmp_path)
    (tmp_path / "data1.html").write_bytes(b"\xff")
    with pytest.raises(ValueError):
        load("html_data1", tmp_path)


EXPECTED_DIGESTS: dict[str, str] = {
    "json_data1": "79adef96c7eecf24",
    "lena512": "6f8839b724b405df",
    "gutenberg_faust": "2e3ab6f84dc03a22",
    "html_data1": "9e069ba137f15314",
    "ooms": "2b4b9791a4c39cf4",
}
