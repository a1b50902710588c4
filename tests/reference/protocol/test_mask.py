"""Masking: the numpy fast path and the plain fallback pass the same tests."""

from __future__ import annotations

import collections
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import mask_keys
from wsconform.reference.protocol import mask as mask_module
from wsconform.reference.protocol.mask import (
    IN_PLACE_THRESHOLD,
    NUMPY_THRESHOLD,
    BytesLike,
    apply_mask,
    apply_mask_python,
    mask_in_place,
    mask_in_place_python,
    new_mask_key,
)

ApplyMask = Callable[[BytesLike, bytes], bytes]
MaskInPlace = Callable[..., None]


def reference_mask(data: bytes, key: bytes) -> bytes:
    """Section 5.3, octet by octet: "j = i MOD 4; transformed-octet-i = original-octet-i
    XOR masking-key-octet-j"."""
    return bytes(octet ^ key[i % 4] for i, octet in enumerate(data))


@pytest.fixture(params=[apply_mask, apply_mask_python], ids=["fast", "python"])
def apply(request: pytest.FixtureRequest) -> ApplyMask:
    function: ApplyMask = request.param
    return function


@pytest.fixture(params=[mask_in_place, mask_in_place_python], ids=["fast", "python"])
def in_place(request: pytest.FixtureRequest) -> MaskInPlace:
    function: MaskInPlace = request.param
    return function


# Lengths around every switch between implementations and around 8-byte words.
SIZES = sorted(
    {*range(0, 20), 125, 126, 1000}
    | {t + d for t in (NUMPY_THRESHOLD, IN_PLACE_THRESHOLD, 65536) for d in range(-5, 6)}
)


def test_rfc_6455_section_5_7_masked_hello(apply: ApplyMask) -> None:
    # "A single-frame masked text message": 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f
    # 0x4d 0x51 0x58 contains "Hello".
    key = bytes.fromhex("37fa213d")
    assert apply(b"Hello", key) == bytes.fromhex("7f9f4d5158")
    assert apply(bytes.fromhex("7f9f4d5158"), key) == b"Hello"


@pytest.mark.parametrize("size", SIZES)
def test_matches_the_definition_at_every_size(apply: ApplyMask, size: int) -> None:
    data = bytes((i * 7 + 3) & 0xFF for i in range(size))
    key = bytes.fromhex("a1b2c3d4")
    masked = apply(data, key)
    assert type(masked) is bytes
    assert masked == reference_mask(data, key)
    assert apply(masked, key) == data


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
@pytest.mark.parametrize("size", [5, NUMPY_THRESHOLD + 3, IN_PLACE_THRESHOLD + 3])
def test_accepts_any_bytes_like(
    apply: ApplyMask, kind: Callable[[bytes], BytesLike], size: int
) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    key = b"\x01\x02\x04\x08"
    assert apply(kind(data), key) == reference_mask(data, key)


def test_a_memoryview_slice_of_a_larger_buffer(apply: ApplyMask) -> None:
    buffer = bytearray(range(256)) * 300
    view = memoryview(buffer)[3 : 3 + IN_PLACE_THRESHOLD + 5]
    key = b"\xff\x00\xff\x00"
    assert apply(view, key) == reference_mask(bytes(view), key)


@given(data=st.binary(max_size=3000), key=mask_keys())
def test_fast_and_python_agree(data: bytes, key: bytes) -> None:
    assert apply_mask(data, key) == apply_mask_python(data, key) == reference_mask(data, key)


@pytest.mark.parametrize("key", [b"", b"abc", b"abcde"])
def test_a_key_has_4_bytes(apply: ApplyMask, key: bytes) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        apply(b"data", key)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("start", [0, 1, 6, 8, 14])
def test_mask_in_place_at_any_offset(in_place: MaskInPlace, size: int, start: int) -> None:
    data = bytes((i * 13 + 1) & 0xFF for i in range(size))
    key = bytes.fromhex("37fa213d")
    buffer = bytearray(b"H" * start + data + b"TAIL")
    in_place(buffer, key, start, start + size)
    assert buffer == b"H" * start + reference_mask(data, key) + b"TAIL"


def test_mask_in_place_defaults_to_the_end(in_place: MaskInPlace) -> None:
    buffer = bytearray(b"xxHello")
    in_place(buffer, bytes.fromhex("37fa213d"), 2)
    assert buffer == b"xx" + bytes.fromhex("7f9f4d5158")


def test_mask_in_place_on_a_memoryview(in_place: MaskInPlace) -> None:
    buffer = bytearray(IN_PLACE_THRESHOLD * 2)
    view = memoryview(buffer)
    in_place(view, b"\x01\x02\x03\x04", 10)
    assert buffer == bytes(10) + reference_mask(bytes(len(buffer) - 10), b"\x01\x02\x03\x04")


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (3, 2), (0, 11)])
def test_mask_in_place_range_outside(in_place: MaskInPlace, start: int, end: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        in_place(bytearray(10), b"abcd", start, end)


def test_mask_in_place_bad_key(in_place: MaskInPlace) -> None:
    with pytest.raises(ValueError, match="4 bytes"):
        in_place(bytearray(10), b"abc")


def test_without_numpy_the_fast_path_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mask_module, "_np", None)
    data = bytes(range(256)) * 100
    key = b"\x10\x20\x30\x40"
    assert apply_mask(data, key) == reference_mask(data, key)
    buffer = bytearray(data)
    mask_in_place(buffer, key, 3)
    assert buffer == data[:3] + reference_mask(data[3:], key)


def test_new_mask_keys_are_4_bytes_and_do_not_repeat() -> None:
    # More than one pool of 1024 keys, to go through a refill.
    keys = [new_mask_key() for _ in range(3000)]
    assert {len(key) for key in keys} == {4}
    # 3000 random 32-bit values repeat with probability ~1e-3; 5 copies cannot happen.
    assert collections.Counter(keys).most_common(1)[0][1] < 5
    assert len(set(keys)) > 2900


def test_reset_pool_gives_a_new_pool() -> None:
    before = mask_module._pool
    mask_module._reset_pool()
    assert mask_module._pool is not before
    assert len(new_mask_key()) == 4
