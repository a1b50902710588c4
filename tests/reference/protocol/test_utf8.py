"""Incremental UTF-8 validation against Python's strict codec, split anywhere."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings, utf8_fragments
from wsconform.reference.protocol.utf8 import Utf8Validator, find_invalid


def can_continue(prefix: bytes) -> bool:
    """Whether some continuation makes ``prefix`` valid UTF-8 (the oracle).

    A code point has at most 4 bytes, so at most 3 more bytes complete it; the limits on
    the second byte (80-8F, 90-BF, A0-BF, 80-9F) are all met by one of 80, 90, A0, BF.
    """
    for count in range(4):
        for tail in itertools.product(b"\x80\x90\xa0\xbf", repeat=count):
            try:
                (prefix + bytes(tail)).decode("utf-8")
            except UnicodeDecodeError:
                continue
            return True
    return False


def first_invalid(data: bytes) -> int | None:
    """The oracle's index of the first byte after which no continuation is valid."""
    for index in range(len(data)):
        if not can_continue(data[: index + 1]):
            return index
    return None


def feed_chunks(chunks: list[bytes]) -> Utf8Validator:
    validator = Utf8Validator()
    for chunk in chunks:
        validator.feed(chunk)
    return validator


# Autobahn's byte strings (section 6 of the catalog) and classic invalid forms.
KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")
HELLO = bytes.fromhex("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121")
VECTORS = [
    ("empty", b"", None, True),
    ("ascii", b"Hello", None, True),
    (
        "HELLO",
        bytes.fromhex("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121"),
        None,
        True,
    ),
    ("KOSME", KOSME, None, True),
    ("KOSME + surrogate ED A0 80 + edited", KOSME + bytes.fromhex("eda080") + b"edited", 12, False),
    ("KOSME + F4 90 80 80 (above U+10FFFF)", KOSME + bytes.fromhex("f4908080"), 12, False),
    ("U+10FFFF", bytes.fromhex("f48fbfbf"), None, True),
    ("incomplete U+10FFFF", bytes.fromhex("f48fbf"), None, False),
    ("lone continuation", b"a\x80", 1, False),
    ("overlong slash C0 AF", bytes.fromhex("c0af"), 0, False),
    ("overlong NUL E0 80 80", bytes.fromhex("e08080"), 1, False),
    ("overlong F0 80 80 AF", bytes.fromhex("f08080af"), 1, False),
    ("F5 start byte", bytes.fromhex("f5808080"), 0, False),
    ("FE", b"\xfe", 0, False),
    ("last 3-byte before surrogates", bytes.fromhex("ed9fbf"), None, True),
    ("first after surrogates", bytes.fromhex("ee8080"), None, True),
    ("truncated 3-byte then ASCII", bytes.fromhex("e282") + b"A", 2, False),
    ("U+FFFE non-character is valid", bytes.fromhex("efbfbe"), None, True),
]


@pytest.mark.parametrize(
    ("data", "position", "complete"),
    [vector[1:] for vector in VECTORS],
    ids=[vector[0] for vector in VECTORS],
)
class TestVectors:
    def test_whole(self, data: bytes, position: int | None, complete: bool) -> None:
        validator = feed_chunks([data])
        assert validator.error_position == position
        assert validator.valid is (position is None)
        assert validator.complete is complete
        assert validator.consumed == len(data)

    def test_byte_by_byte(self, data: bytes, position: int | None, complete: bool) -> None:
        validator = Utf8Validator()
        for index in range(len(data)):
            still_valid = validator.feed(data[index : index + 1])
            # Fail fast: exactly when the first invalid byte arrives, not later.
            assert still_valid is (position is None or index < position)
        assert validator.error_position == position
        assert validator.complete is complete

    def test_oracle_agrees(self, data: bytes, position: int | None, complete: bool) -> None:
        assert first_invalid(data) == position


def test_every_sequence_of_up_to_3_interesting_bytes() -> None:
    interesting = (
        b"\x00\x7f\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xed\xee\xef\xf0\xf1\xf4\xf5\xff"
    )
    for count in (1, 2, 3):
        for sequence in itertools.product(interesting, repeat=count):
            data = bytes(sequence)
            expected = first_invalid(data)
            assert feed_chunks([data]).error_position == expected, data.hex()
            assert feed_chunks([data[:1], data[1:]]).error_position == expected, data.hex()


def test_surrogate_fails_on_its_second_byte() -> None:
    # Python's codec waits for the third byte of ED A0..BF; the validator must not.
    validator = Utf8Validator()
    assert validator.feed(b"ab\xed")
    assert not validator.feed(b"\xa0")
    assert validator.error_position == 3


def test_feed_after_failure_counts_and_ignores() -> None:
    validator = Utf8Validator()
    assert not validator.feed(b"\xff")
    assert not validator.feed(b"valid")
    assert validator.error_position == 0
    assert validator.consumed == 6
    assert not validator.complete


def test_reset() -> None:
    validator = Utf8Validator()
    validator.feed(b"\xe2\x82")
    assert validator.valid and not validator.complete
    validator.reset()
    assert validator.complete and validator.consumed == 0
    validator.feed(b"\xff")
    validator.reset()
    assert validator.valid
    assert validator.feed("€".encode())
    assert validator.complete


def test_accepts_memoryview_and_bytearray() -> None:
    validator = Utf8Validator()
    data = "κόσμε".encode()
    assert validator.feed(memoryview(data)[:3])
    assert validator.feed(bytearray(data[3:]))
    assert validator.complete


@pytest.mark.parametrize(
    ("data", "final", "expected"),
    [
        (b"ok", True, None),
        (b"\xe2\x82", True, 2),
        (b"\xe2\x82", False, None),
        (b"a\xffb", True, 1),
        (b"a\xffb", False, 1),
    ],
)
def test_find_invalid(data: bytes, final: bool, expected: int | None) -> None:
    assert find_invalid(data, final=final) == expected


@given(chunks=utf8_fragments())
def test_agrees_with_the_strict_codec_split_anywhere(chunks: list[bytes]) -> None:
    data = b"".join(chunks)
    validator = feed_chunks(chunks)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        decodes = False
    else:
        decodes = True
    assert (validator.valid and validator.complete) is decodes
    assert validator.error_position == first_invalid(data)


@given(data=st.binary(max_size=40), split=st.data())
def test_arbitrary_bytes_split_anywhere(data: bytes, split: st.DataObject) -> None:
    chunks = split.draw(chunkings(data, max_chunks=40))
    validator = feed_chunks(chunks)
    assert validator.error_position == first_invalid(data)
    assert validator.error_position == feed_chunks([data]).error_position
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert not validator.complete
    else:
        assert validator.complete
