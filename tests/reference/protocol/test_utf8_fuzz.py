"""In-process fuzzing of the incremental UTF-8 validator (``reference/protocol/utf8.py``).

The expected answer comes from Python's own strict UTF-8 codec, which follows RFC 3629
(no surrogates, no overlong forms, nothing past U+10FFFF), not from the validator: the
first invalid byte is the shortest prefix that no valid UTF-8 stream starts with.
``make fuzz`` runs these with the ``nightly`` profile.
"""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import chunkings, utf8_fragments
from wsconform.harness.fuzz.strategies import utf8_payloads
from wsconform.reference.protocol.utf8 import Utf8Validator, find_invalid

pytestmark = pytest.mark.fuzz


def is_prefix(data: bytes) -> bool:
    """Whether some valid UTF-8 stream starts with ``data`` (the codec, incrementally)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        decoder.decode(data, False)
    except UnicodeDecodeError:
        return False
    # The codec waits for more bytes after ED A0..BF; no continuation makes it valid.
    pending = decoder.getstate()[0]
    return not (len(pending) >= 2 and pending[0] == 0xED and pending[1] > 0x9F)


def first_invalid(data: bytes) -> int | None:
    """Offset of the first byte after which ``data`` is no valid stream's prefix."""
    if is_prefix(data):
        return None
    low, high = 0, len(data)  # is_prefix(data[:low]) and not is_prefix(data[:high])
    while high - low > 1:
        middle = (low + high) // 2
        if is_prefix(data[:middle]):
            low = middle
        else:
            high = middle
    return high - 1


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


streams = st.binary(max_size=80) | utf8_payloads() | utf8_fragments().map(b"".join)


@given(data=streams)
def test_whole_stream_agrees_with_the_codec(data: bytes) -> None:
    validator = Utf8Validator()
    valid = validator.feed(data)
    assert valid is is_prefix(data)
    assert validator.error_position == first_invalid(data)
    assert validator.complete is is_utf8(data)
    assert (find_invalid(data) is None) is is_utf8(data)
    assert validator.consumed == len(data)


@given(data=st.data(), stream=streams)
def test_any_split_gives_the_whole_stream_answer(data: st.DataObject, stream: bytes) -> None:
    whole = Utf8Validator()
    whole.feed(stream)
    pieces = data.draw(chunkings(stream, max_chunks=20))
    split = Utf8Validator()
    fed = b""
    for piece in pieces:
        fed += piece
        # After each piece, the answer for the stream so far.
        assert split.feed(piece) is is_prefix(fed)
    assert (split.valid, split.complete, split.error_position) == (
        whole.valid,
        whole.complete,
        whole.error_position,
    )


@given(first=streams, second=streams)
def test_reset_starts_a_new_stream(first: bytes, second: bytes) -> None:
    validator = Utf8Validator()
    validator.feed(first)
    validator.reset()
    validator.feed(second)
    assert validator.error_position == first_invalid(second)
    assert validator.complete is is_utf8(second)
