"""The raw DEFLATE back ends: every one installed, against the RFC 7692 needs."""

from __future__ import annotations

import zlib

import pytest

from wsconform.cases.testdata import generate
from wsconform.reference.protocol.extensions import codec
from wsconform.reference.protocol.extensions.codec import SYNC_FLUSH, Backend, CodecError
from wsconform.reference.protocol.extensions.permessage_deflate import PerMessageDeflate
from wsconform.reference.protocol.frames import TEXT, Frame

BACKENDS = codec.available()
TAIL = b"\x00\x00\xff\xff"
DATA = generate("json_data1")[:40_000]


def test_zlib_ng_is_installed_and_chosen_first() -> None:
    # A runtime dependency: the fast back end is what a user gets.
    assert [backend.name for backend in BACKENDS] == ["zlib-ng", "zlib"]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("bits", [8, 9, 12, 15])
def test_output_is_raw_deflate_within_the_negotiated_window(backend: Backend, bits: int) -> None:
    """Messages with context takeover inflate with stdlib zlib at exactly ``bits``."""
    compressor = backend.compressor(bits, level=1)
    inflater = zlib.decompressobj(-bits)
    for start in range(0, len(DATA), 1000):
        message = DATA[start : start + 1000]
        data = compressor.compress(message) + compressor.flush(SYNC_FLUSH)
        assert data.endswith(TAIL)  # section 7.2.1: a sync flush ends with this block
        assert inflater.decompress(data) == message


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_decompressor_refuses_a_distance_beyond_its_window(backend: Backend) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    decompressor = backend.decompressor(9)
    with pytest.raises(backend.error, match="too far back"):
        for start in range(0, len(DATA), 4000):
            data = compressor.compress(DATA[start : start + 4000])
            decompressor.decompress(data + compressor.flush(SYNC_FLUSH))


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_decompressor_bound_eof_and_dictionary(backend: Backend) -> None:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15, zdict=DATA[:100])
    data = compressor.compress(DATA) + compressor.flush(zlib.Z_FINISH) + b"after"
    decompressor = backend.decompressor(15, zdict=DATA[:100])
    assert len(decompressor.decompress(data, 1000)) == 1000
    assert not decompressor.eof
    decompressor = backend.decompressor(15, zdict=DATA[:100])
    assert decompressor.decompress(data) == DATA
    assert decompressor.eof
    assert decompressor.unused_data == b"after"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("takeover", [True, False])
def test_permessage_deflate_round_trip_across_back_ends(backend: Backend, takeover: bool) -> None:
    """One back end compresses, the other decompresses: the bytes are plain RFC 7692."""
    other = next(b for b in BACKENDS if b is not backend) if len(BACKENDS) > 1 else backend
    sender = PerMessageDeflate(not takeover, not takeover, 8, 8, {"level": 1}, backend=backend)
    receiver = PerMessageDeflate(not takeover, not takeover, 8, 8, backend=other)
    for start in range(0, 8000, 500):
        message = DATA[start : start + 500]
        frame = sender.encode(Frame(TEXT, message))
        assert frame.rsv1
        assert receiver.decode(frame).data == message


def test_current_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_current", None)
    monkeypatch.setenv(codec.ENV_VAR, "zlib")
    assert codec.current().name == "zlib"
    assert codec.current().version == zlib.ZLIB_RUNTIME_VERSION
    monkeypatch.setattr(codec, "_current", None)
    monkeypatch.delenv(codec.ENV_VAR)
    assert codec.current().name == BACKENDS[0].name
    assert PerMessageDeflate(False, False, 15, 15).backend is codec.current()


def test_unknown_back_end_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codec, "_current", None)
    monkeypatch.setenv(codec.ENV_VAR, "brotli")
    with pytest.raises(CodecError, match="unknown deflate back end 'brotli'"):
        codec.current()
