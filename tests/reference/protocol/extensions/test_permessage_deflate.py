"""Tests of :mod:`wsconform.reference.protocol.extensions.permessage_deflate` (RFC 7692)."""

from __future__ import annotations

import itertools
import os
import random
import zlib
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsconform.reference.protocol.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from wsconform.reference.protocol.extensions import permessage_deflate as pmd
from wsconform.reference.protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    PerMessageDeflateParameters,
    ServerPerMessageDeflateFactory,
    enable_client_permessage_deflate,
    enable_server_permessage_deflate,
    parse_parameters,
)
from wsconform.reference.protocol.frames import BINARY, CLOSE, CONT, PING, PONG, TEXT, Frame, Opcode
from wsconform.reference.protocol.headers import ExtensionParameter, parse_extension_list

# --- parameters -----------------------------------------------------------------------------


def _params(header: str) -> list[ExtensionParameter]:
    ((_, params),) = parse_extension_list(header)
    return params


@pytest.mark.parametrize(
    ("header", "is_offer", "expected"),
    [
        ("permessage-deflate", True, PerMessageDeflateParameters()),
        (
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
            False,
            PerMessageDeflateParameters(True, True),
        ),
        (
            "permessage-deflate; server_max_window_bits=8; client_max_window_bits=15",
            False,
            PerMessageDeflateParameters(server_max_window_bits=8, client_max_window_bits=15),
        ),
        (
            "permessage-deflate; client_max_window_bits",
            True,
            PerMessageDeflateParameters(client_max_window_bits=True),
        ),
        (
            'permessage-deflate; server_max_window_bits="10"',
            True,
            PerMessageDeflateParameters(server_max_window_bits=10),
        ),
    ],
)
def test_parse_parameters(
    header: str, is_offer: bool, expected: PerMessageDeflateParameters
) -> None:
    parsed = parse_parameters(_params(header), is_offer=is_offer)
    assert parsed == expected
    assert parse_parameters(parsed.to_params(), is_offer=is_offer) == parsed


@pytest.mark.parametrize(
    ("header", "is_offer", "exc_type", "message"),
    [
        (
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            True,
            DuplicateParameter,
            "duplicate parameter: server_no_context_takeover",
        ),
        (
            "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
            True,
            DuplicateParameter,
            "duplicate parameter: client_max_window_bits",
        ),
        ("permessage-deflate; foo", True, InvalidParameterName, "invalid parameter name: foo"),
        (
            "permessage-deflate; Server_No_Context_Takeover",
            True,
            InvalidParameterName,
            "invalid parameter name: Server_No_Context_Takeover",
        ),
        (
            "permessage-deflate; server_no_context_takeover=1",
            True,
            InvalidParameterValue,
            "invalid value for parameter server_no_context_takeover: 1",
        ),
        (
            "permessage-deflate; client_no_context_takeover=true",
            False,
            InvalidParameterValue,
            "invalid value for parameter client_no_context_takeover: true",
        ),
        (
            "permessage-deflate; server_max_window_bits",
            True,
            InvalidParameterValue,
            "missing value for parameter server_max_window_bits",
        ),
        (
            # Only an offer may carry client_max_window_bits without a value.
            "permessage-deflate; client_max_window_bits",
            False,
            InvalidParameterValue,
            "missing value for parameter client_max_window_bits",
        ),
        *[
            (
                f"permessage-deflate; {name}={value}",
                is_offer,
                InvalidParameterValue,
                f"invalid value for parameter {name}: {value}",
            )
            for name in ("server_max_window_bits", "client_max_window_bits")
            for value in ("7", "16", "0", "09", "010", "-9", "9.0", "a", "100")
            for is_offer in (True, False)
        ],
    ],
)
def test_parse_parameters_errors(
    header: str, is_offer: bool, exc_type: type[NegotiationError], message: str
) -> None:
    with pytest.raises(NegotiationError) as info:
        parse_parameters(_params(header), is_offer=is_offer)
    assert type(info.value) is exc_type
    assert str(info.value) == message


# --- the client's offer and its check of the response ---------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "offer"),
    [
        ({}, "permessage-deflate; client_max_window_bits"),
        ({"client_max_window_bits": None}, "permessage-deflate"),
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 10,
                "client_max_window_bits": 12,
            },
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=12",
        ),
    ],
)
def test_client_offer(kwargs: dict[str, int | bool | None], offer: str) -> None:
    factory = ClientPerMessageDeflateFactory(**kwargs)  # type: ignore[arg-type]
    assert _params(offer) == factory.get_request_params()
    assert "ClientPerMessageDeflateFactory" in repr(factory)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"server_max_window_bits": 7},
        {"server_max_window_bits": 16},
        {"server_max_window_bits": True},
        {"client_max_window_bits": 16},
        {"client_max_window_bits": False},
        {"compress_settings": {"wbits": 9}},
    ],
)
def test_client_factory_refuses_bad_configuration(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClientPerMessageDeflateFactory(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("offer", "response", "expected"),
    [
        # (remote_no_context_takeover, local_no_context_takeover, remote bits, local bits)
        ({}, "", (False, False, 15, 15)),
        ({}, "server_no_context_takeover", (True, False, 15, 15)),
        ({}, "client_no_context_takeover", (False, True, 15, 15)),
        ({"client_no_context_takeover": True}, "", (False, True, 15, 15)),
        ({}, "server_max_window_bits=9", (False, False, 9, 15)),
        ({}, "client_max_window_bits=8", (False, False, 15, 8)),
        ({"client_max_window_bits": 12}, "", (False, False, 15, 12)),
        ({"client_max_window_bits": 12}, "client_max_window_bits=10", (False, False, 15, 10)),
        ({"server_max_window_bits": 12}, "server_max_window_bits=12", (False, False, 12, 15)),
        ({"server_max_window_bits": 12}, "server_max_window_bits=9", (False, False, 9, 15)),
        (
            {"server_no_context_takeover": True},
            "server_no_context_takeover",
            (True, False, 15, 15),
        ),
    ],
)
def test_client_accepts_response(
    offer: dict[str, int | bool | None], response: str, expected: tuple[bool, bool, int, int]
) -> None:
    factory = ClientPerMessageDeflateFactory(**offer)  # type: ignore[arg-type]
    header = "permessage-deflate" + (f"; {response}" if response else "")
    extension = factory.process_response_params(_params(header), [])
    assert (
        extension.remote_no_context_takeover,
        extension.local_no_context_takeover,
        extension.remote_max_window_bits,
        extension.local_max_window_bits,
    ) == expected


@pytest.mark.parametrize(
    ("offer", "response", "message"),
    [
        (
            {"server_no_context_takeover": True},
            "",
            "server_no_context_takeover was offered, not accepted",
        ),
        ({"server_max_window_bits": 10}, "", "server_max_window_bits was offered, not accepted"),
        (
            {"server_max_window_bits": 10},
            "server_max_window_bits=11",
            "server_max_window_bits=11 exceeds the offered 10",
        ),
        (
            {"client_max_window_bits": None},
            "client_max_window_bits=10",
            "client_max_window_bits in the response, not offered",
        ),
        (
            {"client_max_window_bits": 10},
            "client_max_window_bits=11",
            "client_max_window_bits=11 exceeds the offered 10",
        ),
        ({}, "client_max_window_bits", "missing value for parameter client_max_window_bits"),
        ({}, "server_max_window_bits=16", "invalid value for parameter server_max_window_bits: 16"),
        ({}, "x=1", "invalid parameter name: x"),
        (
            {},
            "client_no_context_takeover; client_no_context_takeover",
            "duplicate parameter: client_no_context_takeover",
        ),
    ],
)
def test_client_rejects_response(
    offer: dict[str, int | bool | None], response: str, message: str
) -> None:
    factory = ClientPerMessageDeflateFactory(**offer)  # type: ignore[arg-type]
    header = "permessage-deflate" + (f"; {response}" if response else "")
    with pytest.raises(NegotiationError) as info:
        factory.process_response_params(_params(header), [])
    assert str(info.value) == message


def test_client_rejects_second_permessage_deflate() -> None:
    factory = ClientPerMessageDeflateFactory()
    first = factory.process_response_params([], [])
    with pytest.raises(NegotiationError, match="negotiated twice"):
        factory.process_response_params([], [first])


# --- the server's answer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "offer", "response", "expected"),
    [
        # expected: (remote_nct, local_nct, remote bits, local bits) of the server's codec
        ({}, "", "", (False, False, 15, 15)),
        ({}, "client_max_window_bits", "", (False, False, 15, 15)),
        (
            {},
            "server_no_context_takeover",
            "server_no_context_takeover",
            (False, True, 15, 15),
        ),
        (
            {},
            "client_no_context_takeover",
            "client_no_context_takeover",
            (True, False, 15, 15),
        ),
        ({}, "server_max_window_bits=10", "server_max_window_bits=10", (False, False, 15, 10)),
        ({}, "client_max_window_bits=10", "client_max_window_bits=10", (False, False, 10, 15)),
        (
            {"server_no_context_takeover": True},
            "",
            "server_no_context_takeover",
            (False, True, 15, 15),
        ),
        (
            {"client_no_context_takeover": True},
            "",
            "client_no_context_takeover",
            (True, False, 15, 15),
        ),
        ({"server_max_window_bits": 12}, "", "server_max_window_bits=12", (False, False, 15, 12)),
        (
            {"server_max_window_bits": 12},
            "server_max_window_bits=10",
            "server_max_window_bits=10",
            (False, False, 15, 10),
        ),
        (
            {"server_max_window_bits": 9},
            "server_max_window_bits=10",
            "server_max_window_bits=9",
            (False, False, 15, 9),
        ),
        # Without client_max_window_bits in the offer the server cannot ask for a window.
        ({"client_max_window_bits": 9}, "", "", (False, False, 15, 15)),
        (
            {"client_max_window_bits": 9},
            "client_max_window_bits",
            "client_max_window_bits=9",
            (False, False, 9, 15),
        ),
        (
            {"client_max_window_bits": 9},
            "client_max_window_bits=12",
            "client_max_window_bits=9",
            (False, False, 9, 15),
        ),
        (
            {"client_max_window_bits": 12},
            "client_max_window_bits=8",
            "client_max_window_bits=8",
            (False, False, 8, 15),
        ),
        # Autobahn 13.x default offer answered by a server with every restriction.
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 9,
                "client_max_window_bits": 9,
            },
            "client_no_context_takeover; client_max_window_bits",
            "server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=9; client_max_window_bits=9",
            (True, True, 9, 9),
        ),
    ],
)
def test_server_answers_offer(
    config: dict[str, int | bool | None],
    offer: str,
    response: str,
    expected: tuple[bool, bool, int, int],
) -> None:
    factory = ServerPerMessageDeflateFactory(**config)  # type: ignore[arg-type]
    header = "permessage-deflate" + (f"; {offer}" if offer else "")
    params, extension = factory.process_request_params(_params(header), [])
    assert params == (_params(f"permessage-deflate; {response}") if response else [])
    assert (
        extension.remote_no_context_takeover,
        extension.local_no_context_takeover,
        extension.remote_max_window_bits,
        extension.local_max_window_bits,
    ) == expected


@pytest.mark.parametrize(
    ("offer", "message"),
    [
        ("foo", "invalid parameter name: foo"),
        ("server_max_window_bits=7", "invalid value for parameter server_max_window_bits: 7"),
        ("server_max_window_bits", "missing value for parameter server_max_window_bits"),
        (
            "client_no_context_takeover=1",
            "invalid value for parameter client_no_context_takeover: 1",
        ),
        (
            "client_max_window_bits; client_max_window_bits",
            "duplicate parameter: client_max_window_bits",
        ),
    ],
)
def test_server_declines_invalid_offer(offer: str, message: str) -> None:
    factory = ServerPerMessageDeflateFactory()
    with pytest.raises(NegotiationError) as info:
        factory.process_request_params(_params(f"permessage-deflate; {offer}"), [])
    assert str(info.value) == message


def test_server_requires_client_max_window_bits() -> None:
    factory = ServerPerMessageDeflateFactory(
        client_max_window_bits=10, require_client_max_window_bits=True
    )
    with pytest.raises(NegotiationError, match="required client_max_window_bits"):
        factory.process_request_params([], [])
    params, _ = factory.process_request_params([("client_max_window_bits", None)], [])
    assert params == [("client_max_window_bits", "10")]
    with pytest.raises(ValueError):
        ServerPerMessageDeflateFactory(require_client_max_window_bits=True)
    with pytest.raises(ValueError):
        ServerPerMessageDeflateFactory(client_max_window_bits=True)


def test_server_declines_second_permessage_deflate() -> None:
    factory = ServerPerMessageDeflateFactory()
    _, first = factory.process_request_params([], [])
    with pytest.raises(NegotiationError, match="already accepted"):
        factory.process_request_params([], [first])


def test_enable_helpers() -> None:
    (client,) = enable_client_permessage_deflate(None)
    assert isinstance(client, ClientPerMessageDeflateFactory)
    custom = ClientPerMessageDeflateFactory(client_max_window_bits=None)
    assert enable_client_permessage_deflate([custom]) == [custom]
    (server,) = enable_server_permessage_deflate(())
    assert isinstance(server, ServerPerMessageDeflateFactory)
    custom_server = ServerPerMessageDeflateFactory(server_max_window_bits=10)
    assert enable_server_permessage_deflate([custom_server]) == [custom_server]


# --- the codec: RFC 7692 section 7.2.3 examples ----------------------------------------------


def _codec(**kwargs: bool | int) -> PerMessageDeflate:
    settings: dict[str, bool | int] = {
        "remote_no_context_takeover": False,
        "local_no_context_takeover": False,
        "remote_max_window_bits": 15,
        "local_max_window_bits": 15,
    }
    settings.update(kwargs)
    return PerMessageDeflate(**settings)  # type: ignore[arg-type]


def _decode(codec: PerMessageDeflate, *frames: Frame, max_size: int | None = None) -> bytes:
    return b"".join(codec.decode(frame, max_size=max_size).data for frame in frames)


def test_rfc_7_2_3_1_a_message_compressed_using_1_compressed_block() -> None:
    assert _decode(_codec(), Frame(TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)) == b"Hello"
    assert _codec().encode(Frame(TEXT, b"Hello")) == Frame(
        TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True
    )
    fragmented = (
        Frame(TEXT, bytes.fromhex("f248cd"), fin=False, rsv1=True),
        Frame(CONT, bytes.fromhex("c9c90700")),
    )
    assert _decode(_codec(), *fragmented) == b"Hello"


def test_rfc_7_2_3_2_sharing_lz77_sliding_window() -> None:
    codec = _codec()
    assert _decode(codec, Frame(TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)) == b"Hello"
    assert _decode(codec, Frame(TEXT, bytes.fromhex("f200110000"), rsv1=True)) == b"Hello"
    # Our compressor shares the window too: the second "Hello" is a back-reference.
    encoder = _codec()
    encoder.encode(Frame(TEXT, b"Hello"))
    assert encoder.encode(Frame(TEXT, b"Hello")).data == bytes.fromhex("f200110000")
    # ... unless context takeover is off.
    encoder = _codec(local_no_context_takeover=True)
    encoder.encode(Frame(TEXT, b"Hello"))
    assert encoder.encode(Frame(TEXT, b"Hello")).data == bytes.fromhex("f248cdc9c90700")


def test_rfc_7_2_3_3_deflate_block_with_no_compression() -> None:
    data = bytes.fromhex("0005 00faff 48656c6c6f 00".replace(" ", ""))
    assert _decode(_codec(), Frame(TEXT, data, rsv1=True)) == b"Hello"


def test_rfc_7_2_3_4_deflate_block_with_bfinal_set() -> None:
    codec = _codec()
    data = bytes.fromhex("f348cdc9c90700 00".replace(" ", ""))
    assert _decode(codec, Frame(TEXT, data, rsv1=True)) == b"Hello"
    # Without the extra 0x00 octet as well.
    assert _decode(codec, Frame(TEXT, bytes.fromhex("f348cdc9c90700"), rsv1=True)) == b"Hello"
    # The window carries on after the final block: a back-reference to "Hello".
    assert _decode(codec, Frame(TEXT, bytes.fromhex("f200110000"), rsv1=True)) == b"Hello"


def test_bfinal_block_in_the_middle_of_a_message() -> None:
    # A sender ends a stream with BFINAL, then goes on with blocks that refer back to
    # the data before it (the same LZ77 window, as if the stream had not ended).
    text = b"the same window, the same window"
    compressor = zlib.compressobj(wbits=-15)
    first = compressor.compress(text) + compressor.flush(zlib.Z_FINISH)
    compressor = zlib.compressobj(wbits=-15, zdict=text)
    second = compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(second) < len(text)  # it is made of back-references
    frames = (
        Frame(TEXT, first, fin=False, rsv1=True),
        Frame(CONT, second[:-4]),
    )
    assert _decode(_codec(), *frames) == text + text
    assert _decode(_codec(), Frame(TEXT, first + second[:-4], rsv1=True)) == text + text


def test_bfinal_block_after_many_messages_uses_the_whole_window() -> None:
    # The window kept for a BFINAL block spans many earlier messages (more than are
    # kept as separate chunks) and is cut to the negotiated 512 bytes.
    rng = random.Random(7)
    pieces = [rng.randbytes(rng.randint(1, 20)) for _ in range(300)]
    compressor = zlib.compressobj(wbits=-9)
    codec = _codec(remote_max_window_bits=9)
    for piece in pieces:
        data = compressor.compress(piece) + compressor.flush(zlib.Z_SYNC_FLUSH)
        assert _decode(codec, Frame(BINARY, data[:-4], rsv1=True)) == piece
    history = b"".join(pieces)
    assert len(history) > 1024
    tail = history[-200:]  # within reach: zlib matches at most 2**9 - 262 octets back
    first = compressor.compress(b"end") + compressor.flush(zlib.Z_FINISH)
    compressor = zlib.compressobj(wbits=-9, zdict=(history + b"end")[-512:])
    second = compressor.compress(tail) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(second) < len(tail) // 2  # back-references into earlier messages
    assert _decode(codec, Frame(BINARY, first + second[:-4], rsv1=True)) == b"end" + tail


def test_rfc_7_2_3_5_two_deflate_blocks_in_one_message() -> None:
    data = bytes.fromhex("f2480500 0000ffff cac9c90700".replace(" ", ""))
    assert _decode(_codec(), Frame(TEXT, data, rsv1=True)) == b"Hello"


def test_rfc_7_2_3_6_generating_an_empty_fragment() -> None:
    # An empty message compresses to the single octet 0x00.
    assert _codec().encode(Frame(TEXT, b"")).data == b"\x00"
    assert _decode(_codec(), Frame(TEXT, b"\x00", rsv1=True)) == b""
    assert _decode(_codec(), Frame(TEXT, b"", rsv1=True)) == b""
    # A message may end with an empty fragment: 0x00 after a sync-flushed fragment.
    frames = (
        Frame(
            TEXT, bytes.fromhex("f248cdc9c90700 0000ffff".replace(" ", "")), fin=False, rsv1=True
        ),
        Frame(CONT, b"\x00"),
    )
    assert _decode(_codec(), *frames) == b"Hello"
    encoder = _codec()
    encoded = [encoder.encode(Frame(TEXT, b"Hello", fin=False)), encoder.encode(Frame(CONT, b""))]
    assert encoded[1].data == b"\x00"
    assert _decode(_codec(), *encoded) == b"Hello"


# --- the codec: frame rules -------------------------------------------------------------------


@pytest.mark.parametrize("opcode", [CLOSE, PING, PONG])
def test_control_frames_are_untouched(opcode: Opcode) -> None:
    codec = _codec()
    frame = Frame(opcode, b"\x03\xe8bye")
    assert codec.encode(frame) is frame
    assert codec.decode(frame) is frame
    with pytest.raises(ProtocolError, match="RSV1 set on a control frame"):
        codec.decode(Frame(opcode, b"", rsv1=True))


def test_control_frames_between_fragments() -> None:
    encoder, decoder = _codec(), _codec()
    frames = [
        encoder.encode(Frame(TEXT, b"Hello, ", fin=False)),
        encoder.encode(Frame(PING, b"ping")),
        encoder.encode(Frame(CONT, b"world")),
    ]
    assert [(f.opcode, f.rsv1) for f in frames] == [(TEXT, True), (PING, False), (CONT, False)]
    assert _decode(decoder, *frames) == b"Hello, pingworld"


def test_rsv1_on_continuation_frame() -> None:
    codec = _codec()
    codec.decode(Frame(TEXT, b"\xf2\x48", fin=False, rsv1=True))
    with pytest.raises(ProtocolError, match="RSV1 set on a continuation frame"):
        codec.decode(Frame(CONT, b"\xcd", rsv1=True))


def test_uncompressed_messages_pass_through() -> None:
    codec = _codec()
    frames = (Frame(BINARY, b"raw", fin=False), Frame(CONT, b" data"))
    assert [codec.decode(frame) for frame in frames] == list(frames)
    # A compressed message after an uncompressed one.
    assert _decode(codec, Frame(TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)) == b"Hello"
    # The encoder leaves alone a continuation of a message it did not start.
    assert codec.encode(Frame(CONT, b"x")) == Frame(CONT, b"x")


def test_invalid_compressed_data() -> None:
    with pytest.raises(ProtocolError, match="decompression failed"):
        _decode(_codec(), Frame(BINARY, b"\xff\xff\xff\xff", rsv1=True))


def test_window_larger_than_negotiated_is_a_protocol_error() -> None:
    # The second message refers 1000 bytes back, into the first one: that needs a
    # 10-bit window, and the decoder keeps only the negotiated window between frames.
    block = os.urandom(1000)
    compressor = zlib.compressobj(wbits=-15)
    first = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    second = compressor.compress(block) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert len(second) < 100
    frames = (Frame(BINARY, first[:-4], rsv1=True), Frame(BINARY, second[:-4], rsv1=True))
    assert _decode(_codec(remote_max_window_bits=10), *frames) == block + block
    with pytest.raises(ProtocolError, match="invalid distance too far back"):
        _decode(_codec(remote_max_window_bits=9), *frames)


def test_codec_refuses_bad_configuration() -> None:
    with pytest.raises(ValueError):
        _codec(remote_max_window_bits=16)
    with pytest.raises(ValueError):
        _codec(local_max_window_bits=7)
    with pytest.raises(ValueError):
        PerMessageDeflate(False, False, 15, 15, {"wbits": 15})


def test_compress_settings_are_used() -> None:
    data = b"".join(i.to_bytes(2, "big") for i in range(3000))
    fast = PerMessageDeflate(False, False, 15, 15, {"level": 0}).encode(Frame(BINARY, data))
    best = PerMessageDeflate(False, False, 15, 15, {"level": 9, "memLevel": 9}).encode(
        Frame(BINARY, data)
    )
    assert len(fast.data) > len(data) > len(best.data)
    assert _decode(_codec(), fast) == _decode(_codec(), best) == data


# --- decompression bombs ------------------------------------------------------------------------


def _bomb(size: int) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    chunk = b"\x00" * 2**20
    data = b"".join(compressor.compress(chunk) for _ in range(size // len(chunk)))
    return data + compressor.flush(zlib.Z_SYNC_FLUSH)


BOMB = _bomb(64 * 2**20)  # 64 MiB of zeros in about 64 KiB


def test_bomb_stops_at_the_bound() -> None:
    assert len(BOMB) < 100_000
    with pytest.raises(PayloadTooBig, match="over 1048576 bytes"):
        _decode(_codec(), Frame(BINARY, BOMB[:-4], rsv1=True), max_size=2**20)


def test_bomb_bound_counts_across_fragments() -> None:
    codec = _codec()
    half = len(BOMB) // 64  # about 1 MiB of output each
    frames = [
        Frame(BINARY, BOMB[:half], fin=False, rsv1=True),
        Frame(CONT, BOMB[half : 2 * half], fin=False),
        Frame(CONT, BOMB[2 * half : -4]),
    ]
    first = codec.decode(frames[0], max_size=3 * 2**20)
    assert 0 < len(first.data) <= 3 * 2**20
    with pytest.raises(PayloadTooBig):
        for frame in frames[1:]:
            codec.decode(frame, max_size=3 * 2**20)


@pytest.mark.parametrize("size", [0, 1, 1000, 2**16])
def test_message_exactly_at_the_bound_passes(size: int) -> None:
    data = os.urandom(size // 2) + b"a" * (size - size // 2)
    frame = _codec().encode(Frame(BINARY, data))
    assert _decode(_codec(), frame, max_size=size) == data
    with pytest.raises(PayloadTooBig):
        _decode(_codec(), frame, max_size=size - 1) if size else _raise_too_big()


def _raise_too_big() -> None:
    raise PayloadTooBig("max_size -1 cannot be reached by an empty message")


@given(
    st.integers(0, 300_000),
    st.integers(0, 300_000),
    st.lists(st.integers(0, 2000), max_size=3),
    st.binary(min_size=1, max_size=8),
)
def test_bound_property(size: int, max_size: int, cuts: list[int], unit: bytes) -> None:
    # A message of ``size`` bytes, highly compressible, in fragments: it decodes iff it
    # fits in ``max_size``; otherwise PayloadTooBig, before the whole of it is inflated.
    payload = (unit * (size // len(unit) + 1))[:size]
    frames = [_codec().encode(frame) for frame in _fragments(payload, [], BINARY)]
    data = frames[0].data
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces = [data[a:b] for a, b in itertools.pairwise([0, *points, len(data)])]
    wire = [
        Frame(BINARY if i == 0 else CONT, piece, fin=i == len(pieces) - 1, rsv1=i == 0)
        for i, piece in enumerate(pieces)
    ]
    codec = _codec()
    if size <= max_size:
        assert _decode(codec, *wire, max_size=max_size) == payload
    else:
        with pytest.raises(PayloadTooBig):
            _decode(codec, *wire, max_size=max_size)


def test_bound_resets_with_each_message() -> None:
    codec, encoder = _codec(), _codec()
    for _ in range(5):
        frame = encoder.encode(Frame(BINARY, b"x" * 1000))
        assert _decode(codec, frame, max_size=1000) == b"x" * 1000


# --- round trips for every parameter combination -----------------------------------------------

WINDOW_BITS = [None, 8, 9, 12, 15]
CLIENT_WINDOW_BITS: list[int | bool | None] = [None, True, 8, 9, 12, 15]

_chunks = st.sampled_from([b"Hello", b"abcabcabc", b"\x00" * 50, "\u00e9t\u00e9 ".encode(), b"{}"])
payloads = st.one_of(
    st.binary(max_size=600),
    st.lists(_chunks, max_size=300).map(b"".join),
)
#: A message: its payload and the sizes at which it is cut into fragments.
messages = st.tuples(payloads, st.lists(st.integers(0, 700), max_size=3))


def _fragments(payload: bytes, cuts: Sequence[int], opcode: Opcode) -> list[Frame]:
    points = sorted({min(cut, len(payload)) for cut in cuts})
    bounds = [0, *points, len(payload)]
    pieces = [payload[a:b] for a, b in itertools.pairwise(bounds)]
    return [
        Frame(opcode if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
        for i, piece in enumerate(pieces)
    ]


def _transfer(
    sender: PerMessageDeflate, receiver: PerMessageDeflate, payload: bytes, cuts: Sequence[int]
) -> bytes:
    encoded = [sender.encode(frame) for frame in _fragments(payload, cuts, BINARY)]
    # RFC 7692 section 6: RSV1 on the first frame of the message only.
    assert [frame.rsv1 for frame in encoded] == [True] + [False] * (len(encoded) - 1)
    return _decode(receiver, *encoded, max_size=len(payload))


def _negotiate(
    client: ClientPerMessageDeflateFactory, server: ServerPerMessageDeflateFactory
) -> tuple[PerMessageDeflate, PerMessageDeflate] | None:
    """The client's and server's codecs, or None when the server declines."""
    try:
        params, server_codec = server.process_request_params(client.get_request_params(), [])
    except NegotiationError:
        return None
    return client.process_response_params(params, []), server_codec


@pytest.mark.parametrize("server_nct", [False, True])
@pytest.mark.parametrize("client_nct", [False, True])
@pytest.mark.parametrize("server_bits", WINDOW_BITS)
@pytest.mark.parametrize("client_bits", CLIENT_WINDOW_BITS)
def test_every_offer_round_trips(
    server_nct: bool, client_nct: bool, server_bits: int | None, client_bits: int | bool | None
) -> None:
    client = ClientPerMessageDeflateFactory(server_nct, client_nct, server_bits, client_bits)
    negotiated = _negotiate(client, ServerPerMessageDeflateFactory())
    assert negotiated is not None
    client_codec, server_codec = negotiated
    message = b"".join(i.to_bytes(2, "big") for i in range(2000)) * 2
    for cuts in ([], [100, 3000], []):
        assert _transfer(client_codec, server_codec, message, cuts) == message
        assert _transfer(server_codec, client_codec, message, cuts) == message


client_factories = st.builds(
    ClientPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=st.sampled_from(WINDOW_BITS),
    client_max_window_bits=st.sampled_from(CLIENT_WINDOW_BITS),
)
server_factories = st.builds(
    ServerPerMessageDeflateFactory,
    server_no_context_takeover=st.booleans(),
    client_no_context_takeover=st.booleans(),
    server_max_window_bits=st.sampled_from(WINDOW_BITS),
    client_max_window_bits=st.sampled_from(WINDOW_BITS),
)


@given(client_factories, server_factories, st.lists(messages, min_size=1, max_size=5))
def test_round_trip_property(
    client: ClientPerMessageDeflateFactory,
    server: ServerPerMessageDeflateFactory,
    conversation: list[tuple[bytes, list[int]]],
) -> None:
    negotiated = _negotiate(client, server)
    assert negotiated is not None  # without require_client_max_window_bits, never declined
    client_codec, server_codec = negotiated
    for payload, cuts in conversation:
        assert _transfer(client_codec, server_codec, payload, cuts) == payload
        assert _transfer(server_codec, client_codec, payload, cuts) == payload


@given(st.binary(max_size=3000), st.binary(max_size=300))
def test_window_8_output_inflates_with_an_8_bit_window(data: bytes, prefix: bytes) -> None:
    # zlib compresses with 9 bits when 8 are negotiated; its matches stay within 256.
    encoder = _codec(local_max_window_bits=8)
    decoder = zlib.decompressobj(wbits=-8)
    for message in (prefix + data, data + prefix, data * 3):
        frame = encoder.encode(Frame(BINARY, message))
        assert decoder.decompress(frame.data + b"\x00\x00\xff\xff") == message


def test_all_is_complete() -> None:
    for name in pmd.__all__:
        assert hasattr(pmd, name)


# --- interoperability with the websockets library, in memory ------------------------------------

ws_pmd = pytest.importorskip("websockets.extensions.permessage_deflate")
ws_frames = pytest.importorskip("websockets.frames")

INTEROP_MESSAGES = [
    b"Hello",
    b"",
    b"".join(i.to_bytes(2, "big") for i in range(5000)),
    os.urandom(3000),
    b"Hello" * 1000,
]


def _to_ws(frame: Frame) -> object:
    return ws_frames.Frame(
        ws_frames.Opcode(int(frame.opcode)), frame.data, fin=frame.fin, rsv1=frame.rsv1
    )


def _from_ws(frame: object) -> Frame:
    return Frame(Opcode(int(frame.opcode)), bytes(frame.data), fin=frame.fin, rsv1=frame.rsv1)  # type: ignore[attr-defined]


def _ours_to_theirs(
    ours: PerMessageDeflate, theirs: object, payload: bytes, cuts: list[int]
) -> bytes:
    frames = [ours.encode(frame) for frame in _fragments(payload, cuts, BINARY)]
    decoded = [theirs.decode(_to_ws(frame), max_size=len(payload)) for frame in frames]  # type: ignore[attr-defined]
    return b"".join(frame.data for frame in decoded)


def _theirs_to_ours(
    theirs: object, ours: PerMessageDeflate, payload: bytes, cuts: list[int]
) -> bytes:
    frames = [
        _from_ws(theirs.encode(_to_ws(frame)))  # type: ignore[attr-defined]
        for frame in _fragments(payload, cuts, BINARY)
    ]
    return _decode(ours, *frames, max_size=len(payload))


@pytest.mark.parametrize("no_context_takeover", [False, True])
@pytest.mark.parametrize("bits", [8, 9, 10, 12, 15])
def test_our_compression_inflates_in_websockets(no_context_takeover: bool, bits: int) -> None:
    ours = _codec(local_no_context_takeover=no_context_takeover, local_max_window_bits=bits)
    theirs = ws_pmd.PerMessageDeflate(no_context_takeover, False, bits, 15)
    for payload in INTEROP_MESSAGES:
        for cuts in ([], [1, 2000]):
            assert _ours_to_theirs(ours, theirs, payload, cuts) == payload


@pytest.mark.parametrize("no_context_takeover", [False, True])
@pytest.mark.parametrize("bits", [9, 10, 12, 15])  # websockets cannot compress with 8
def test_websockets_compression_inflates_here(no_context_takeover: bool, bits: int) -> None:
    theirs = ws_pmd.PerMessageDeflate(False, no_context_takeover, 15, bits)
    ours = _codec(remote_no_context_takeover=no_context_takeover, remote_max_window_bits=bits)
    for payload in INTEROP_MESSAGES:
        for cuts in ([], [1, 2000]):
            assert _theirs_to_ours(theirs, ours, payload, cuts) == payload


@pytest.mark.parametrize("server_nct", [False, True])
@pytest.mark.parametrize("client_nct", [False, True])
@pytest.mark.parametrize("server_bits", WINDOW_BITS)
@pytest.mark.parametrize("client_bits", CLIENT_WINDOW_BITS)
def test_negotiation_with_websockets(
    server_nct: bool, client_nct: bool, server_bits: int | None, client_bits: int | bool | None
) -> None:
    payload = INTEROP_MESSAGES[2]
    # Our client against their server.
    ours = ClientPerMessageDeflateFactory(server_nct, client_nct, server_bits, client_bits)
    try:
        params, their_codec = ws_pmd.ServerPerMessageDeflateFactory(
            server_no_context_takeover=server_nct, client_no_context_takeover=client_nct
        ).process_request_params(ours.get_request_params(), [])
    except Exception:  # websockets declines server_max_window_bits=8, which it can't do
        assert server_bits == 8
    else:
        our_codec = ours.process_response_params(params, [])
        for cuts in ([], [100]):
            assert _ours_to_theirs(our_codec, their_codec, payload, cuts) == payload
            assert _theirs_to_ours(their_codec, our_codec, payload, cuts) == payload
    # Their client against our server, configured with the same values, but 9 for 8:
    # websockets refuses to negotiate a window of 8 bits for its own compressor.
    their_server_bits = None if server_bits == 8 else server_bits
    if client_bits == 8:
        client_bits = 9
    their_client = ws_pmd.ClientPerMessageDeflateFactory(
        server_nct, client_nct, their_server_bits, client_bits
    )
    our_server = ServerPerMessageDeflateFactory(
        server_no_context_takeover=server_nct,
        client_no_context_takeover=client_nct,
        server_max_window_bits=server_bits,
        client_max_window_bits=None if client_bits is True else client_bits,
    )
    params, our_codec = our_server.process_request_params(their_client.get_request_params(), [])
    their_codec = their_client.process_response_params(params, [])
    for cuts in ([], [100]):
        assert _ours_to_theirs(our_codec, their_codec, payload, cuts) == payload
        assert _theirs_to_ours(their_codec, our_codec, payload, cuts) == payload


@pytest.mark.parametrize("remote_no_context_takeover", [False, True])
def test_decode_message_is_decode_of_a_whole_compressed_frame(
    remote_no_context_takeover: bool,
) -> None:
    messages = [b"Hello", b"Hello", b"", os.urandom(300), b"Hello" * 50]
    encoder = _codec(local_no_context_takeover=remote_no_context_takeover)
    frames = [encoder.encode(Frame(BINARY, message)) for message in messages]
    fast = _codec(remote_no_context_takeover=remote_no_context_takeover)
    slow = _codec(remote_no_context_takeover=remote_no_context_takeover)
    for frame, message in zip(frames, messages, strict=True):
        assert fast.decode_message(frame.data) == _decode(slow, frame) == message
    with pytest.raises(PayloadTooBig):
        fast.decode_message(encoder.encode(Frame(BINARY, b"x" * 100)).data, max_size=99)
    with pytest.raises(ProtocolError):
        _codec().decode_message(b"\xff\xff\xff")
