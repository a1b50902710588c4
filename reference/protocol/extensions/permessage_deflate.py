"""permessage-deflate (RFC 7692): negotiation for both roles and the per-message codec.

Negotiation follows section 7.1: four parameters, ``server_no_context_takeover``,
``client_no_context_takeover``, ``server_max_window_bits`` and ``client_max_window_bits``
(the latter without a value in an offer). Invalid, duplicate and unknown parameters raise
:class:`NegotiationError` subclasses; a server declines such an offer and goes on with
the next one, a client fails the connection.

The codec follows section 7.2: a message is compressed as one raw DEFLATE stream flushed
with an empty stored block whose last four octets ``00 00 ff ff`` are removed, RSV1 is
set on the first frame of the message only, and control frames are untouched.
Decompression is bounded by the message size limit, so that a small frame cannot inflate
into gigabytes (a "deflate bomb").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Final

from ..exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from ..frames import CONT, Frame, with_data
from ..headers import ExtensionParameter
from .base import Extension
from .codec import (
    DEFAULT_LEVEL,
    DEFAULT_MEM_LEVEL,
    DEFAULT_STRATEGY,
    SYNC_FLUSH,
    Backend,
    Compressor,
    Decompressor,
    current,
)
from .factories import ClientExtensionFactory, ServerExtensionFactory

__all__ = [
    "ClientPerMessageDeflateFactory",
    "PerMessageDeflate",
    "PerMessageDeflateParameters",
    "ServerPerMessageDeflateFactory",
    "enable_client_permessage_deflate",
    "enable_server_permessage_deflate",
    "parse_parameters",
]

NAME = "permessage-deflate"

# RFC 7692 section 7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail
# end." Section 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the
# payload of the message."
_TAIL = b"\x00\x00\xff\xff"

# Opcodes 0x8-0xF are control opcodes (RFC 6455 section 5.5).
_CONTROL: Final = 0x08

MIN_WINDOW_BITS = 8
MAX_WINDOW_BITS = 15

# Section 7.1.2.1: "a decimal integer value without leading zeroes between 8 to 15".
_WINDOW_BITS_RE = re.compile(r"[1-9][0-9]?")

# zlib settings a user may choose; the window is the negotiation's business.
_COMPRESS_SETTINGS = frozenset({"level", "memLevel", "strategy"})


@dataclasses.dataclass(frozen=True, slots=True)
class PerMessageDeflateParameters:
    """The parameters of one offer or response, after grammar and value checks.

    ``client_max_window_bits`` is ``True`` for the bare parameter (allowed in offers only).
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int | None = None
    client_max_window_bits: int | bool | None = None

    def to_params(self) -> list[ExtensionParameter]:
        """The parameters in the order of RFC 7692 section 7.1."""
        params: list[ExtensionParameter] = []
        if self.server_no_context_takeover:
            params.append(("server_no_context_takeover", None))
        if self.client_no_context_takeover:
            params.append(("client_no_context_takeover", None))
        if self.server_max_window_bits is not None:
            params.append(("server_max_window_bits", str(self.server_max_window_bits)))
        if self.client_max_window_bits is True:
            params.append(("client_max_window_bits", None))
        elif self.client_max_window_bits is not None:
            params.append(("client_max_window_bits", str(self.client_max_window_bits)))
        return params


def _window_bits(name: str, value: str | None) -> int:
    if value is None or not _WINDOW_BITS_RE.fullmatch(value):
        raise InvalidParameterValue(name, value)
    bits = int(value)
    if not MIN_WINDOW_BITS <= bits <= MAX_WINDOW_BITS:
        raise InvalidParameterValue(name, value)
    return bits


def parse_parameters(
    params: Sequence[ExtensionParameter], *, is_offer: bool
) -> PerMessageDeflateParameters:
    """Check the parameters of an offer (``is_offer``) or of a response.

    RFC 7692 section 5: an offer or response is invalid when it "contains an extension
    parameter not defined for use in an offer/response", "an extension parameter with an
    invalid value" or "multiple extension parameters with the same name".

    Raises:
        DuplicateParameter: a parameter appears twice.
        InvalidParameterName: a parameter is unknown.
        InvalidParameterValue: a value is wrong, present on a flag, or missing (only an
            offer may send ``client_max_window_bits`` without a value).
    """
    seen: set[str] = set()
    values: dict[str, bool | int] = {}
    for name, value in params:
        if name in seen:
            raise DuplicateParameter(name)
        seen.add(name)
        if name in ("server_no_context_takeover", "client_no_context_takeover"):
            # Sections 7.1.1.1 and 7.1.1.2: "This extension parameter has no value."
            if value is not None:
                raise InvalidParameterValue(name, value)
            values[name] = True
        elif name == "server_max_window_bits":
            values[name] = _window_bits(name, value)
        elif name == "client_max_window_bits":
            # Section 7.1.2.2: "This parameter has no value or a decimal integer value
            # without leading zeroes between 8 to 15" in an offer; a response with it
            # "MUST" carry a value (the client needs a number to limit its window).
            values[name] = True if value is None and is_offer else _window_bits(name, value)
        else:
            raise InvalidParameterName(name)
    return PerMessageDeflateParameters(
        server_no_context_takeover=bool(values.get("server_no_context_takeover", False)),
        client_no_context_takeover=bool(values.get("client_no_context_takeover", False)),
        server_max_window_bits=_int_or_none(values.get("server_max_window_bits")),
        client_max_window_bits=values.get("client_max_window_bits"),
    )


def _int_or_none(value: bool | int | None) -> int | None:
    return None if value is None else int(value)


def _check_window_bits(name: str, bits: int | None) -> None:
    if bits is not None and not (
        isinstance(bits, int) and not isinstance(bits, bool) and 8 <= bits <= 15
    ):
        raise ValueError(f"{name} must be None or an int in 8..15: {bits!r}")


def _check_compress_settings(settings: Mapping[str, int] | None) -> dict[str, int]:
    settings = dict(settings or {})
    unknown = set(settings) - _COMPRESS_SETTINGS
    if unknown:
        raise ValueError(
            f"compress_settings accepts {sorted(_COMPRESS_SETTINGS)}, not {sorted(unknown)}"
            " (the window size comes from the negotiation)"
        )
    return settings


class PerMessageDeflate(Extension):
    """The negotiated permessage-deflate codec of one connection.

    "local" is this endpoint's compressor, "remote" the peer's (whose output this endpoint
    decompresses). ``compress_settings`` are ``level``, ``memLevel`` and ``strategy`` of
    :func:`zlib.compressobj`; ``backend`` is the raw DEFLATE implementation
    (:func:`~.codec.current` by default).

    Raises:
        ValueError: (constructor) window bits outside 8..15 or unknown settings.
    """

    name = NAME
    rsv_bits = frozenset({1})

    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: Mapping[str, int] | None = None,
        *,
        backend: Backend | None = None,
    ) -> None:
        _check_window_bits("remote_max_window_bits", remote_max_window_bits)
        _check_window_bits("local_max_window_bits", local_max_window_bits)
        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = _check_compress_settings(compress_settings)
        self.backend = backend if backend is not None else current()

        # Created on first use: an idle connection holds no zlib state (zlib-ng's
        # compressor takes about 150 KiB whatever its window and memLevel), and a side
        # without context takeover makes a fresh one per message (section 7.1.1).
        self._encoder: Compressor | None = None
        self._encoding_message = False  # a compressed message is being sent

        self._decoder: Decompressor | None = None
        self._decoding_message = False  # the message being received is compressed
        self._decoded_size = 0  # decompressed bytes of that message so far
        # The latest decompressed chunks, holding at least the last
        # 2**remote_max_window_bits bytes: the LZ77 window, needed only to go on after a
        # block with BFINAL set (see _inflate); joined only then.
        self._history: list[bytes] = []
        self._history_size = 0

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate(remote_no_context_takeover={self.remote_no_context_takeover}, "
            f"local_no_context_takeover={self.local_no_context_takeover}, "
            f"remote_max_window_bits={self.remote_max_window_bits}, "
            f"local_max_window_bits={self.local_max_window_bits})"
        )

    def new_encoder(self) -> Compressor:
        """A fresh compressor for this side's messages: the back end, the negotiated
        window and the compress settings (the tester's RepeatCompressor makes its own
        with it)."""
        settings = self.compress_settings
        return self.backend.compressor(
            self.local_max_window_bits,
            level=settings.get("level", DEFAULT_LEVEL),
            mem_level=settings.get("memLevel", DEFAULT_MEM_LEVEL),
            strategy=settings.get("strategy", DEFAULT_STRATEGY),
        )

    def _new_decoder(self, zdict: bytes) -> Decompressor:
        # The negotiated window exactly: a peer whose matches reach further back than it
        # agreed to fails with "invalid distance too far back" (a ProtocolError) when
        # they reach into an earlier frame (zlib checks the window, not its output).
        return self.backend.decompressor(self.remote_max_window_bits, zdict)

    # --- receiving -------------------------------------------------------------------

    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """Decompress the frames of a compressed message; pass others through.

        Raises:
            ProtocolError: RSV1 on a control frame or a continuation frame, or data that
                does not decompress.
            PayloadTooBig: the decompressed message would exceed ``max_size``.
        """
        opcode = frame.opcode
        if opcode & _CONTROL:
            # Section 6.1: "An endpoint MUST NOT set the "Per-Message Compressed" bit of
            # control frames and non-first fragments of a data message."
            if frame.rsv1:
                raise ProtocolError("RSV1 set on a control frame")
            return frame
        if opcode is CONT:
            if frame.rsv1:
                raise ProtocolError("RSV1 set on a continuation frame")
            if not self._decoding_message:
                return frame
        else:
            # Section 6: "the RSV1 bit ... is set in the first frame of a compressed
            # message"; a message without it is not compressed.
            if not frame.rsv1:
                self._decoding_message = False
                return frame
            self._decoding_message = True
            self._decoded_size = 0

        fin = frame.fin
        data = self._inflate(frame.data, fin, max_size)
        if fin:
            self._end_message()
        else:
            self._decoded_size += len(data)
        return with_data(frame, data, False)

    def decode_message(self, data: bytes, *, max_size: int | None = None) -> bytes:
        """The decompressed payload of a compressed message sent as one frame (FIN and
        RSV1 set): :meth:`decode` of that frame, without building frames.

        Raises:
            ProtocolError: data that does not decompress.
            PayloadTooBig: the decompressed message would exceed ``max_size``.
        """
        self._decoding_message = True
        self._decoded_size = 0
        payload = self._inflate(data, True, max_size)
        self._end_message()
        return payload

    def _end_message(self) -> None:
        self._decoding_message = False
        # Section 7.1.1.1: with server_no_context_takeover "the server MUST start
        # compressing each new message with an empty LZ77 sliding window" (7.1.1.2
        # likewise for the client), so the receiver resets its window too (the next
        # message gets a fresh decoder).
        if self.remote_no_context_takeover:
            self._decoder = None
            self._history = []
            self._history_size = 0

    def _inflate(self, data: bytes, fin: bool, max_size: int | None) -> bytes:
        """Decompress one frame's payload without producing more than allowed."""
        if fin:
            # Section 7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of
            # the payload of the message."
            data = b"".join((data, _TAIL))  # any bytes-like payload
        decoder = self._decoder
        if decoder is None:
            decoder = self._decoder = self._new_decoder(b"")
        remaining = None if max_size is None else max_size - self._decoded_size
        # Nothing after this frame needs the window when the context is dropped at its
        # end (unless a BFINAL block comes first: then the window is kept below).
        keep = not (fin and self.remote_no_context_takeover)
        chunks: list[bytes] = []
        produced = 0
        error = self.backend.error
        while True:
            # Ask for one byte more than allowed: getting it proves the message too big
            # without inflating the rest (decompress(data, 0) would have no bound).
            limit = 0 if remaining is None else max(remaining - produced, 0) + 1
            try:
                chunk = decoder.decompress(data, limit)
            except error as exc:
                raise ProtocolError(f"decompression failed: {exc}") from exc
            produced += len(chunk)
            if remaining is not None and produced > remaining:
                raise PayloadTooBig(f"decompressed message over {max_size} bytes")
            if not decoder.eof:
                if keep:
                    self._remember(chunk)
                if not chunks:
                    return chunk
                chunks.append(chunk)
                break
            chunks.append(chunk)
            self._remember(chunk)
            # A block with BFINAL set ends zlib's stream but not the message. Section
            # 7.2.3.3 lets a sender "flush data using DEFLATE blocks with BFINAL set to
            # 1" and expects the rest to be decompressed "in the same manner", so the
            # following blocks are inflated with the same LZ77 window.
            data = decoder.unused_data
            decoder = self._decoder = self._new_decoder(self._window())
            if not data or (fin and data == _TAIL):
                break
        return b"".join(chunks)

    def _remember(self, chunk: bytes) -> None:
        """Keep ``chunk`` in the history, dropping chunks wholly out of the window."""
        if not chunk:
            return
        history = self._history
        history.append(chunk)
        size = self._history_size + len(chunk)
        window = 1 << self.remote_max_window_bits
        while size - len(history[0]) >= window:
            size -= len(history.pop(0))
        if len(history) > 64:
            # Many small chunks: join them once in a while, so the list stays short.
            joined = b"".join(history)[-window:]
            history[:] = [joined]
            size = len(joined)
        self._history_size = size

    def _window(self) -> bytes:
        """The last 2**remote_max_window_bits bytes decompressed (the LZ77 window)."""
        window = b"".join(self._history)[-(1 << self.remote_max_window_bits) :]
        self._history = [window] if window else []
        self._history_size = len(window)
        return window

    # --- sending ---------------------------------------------------------------------

    def encode(self, frame: Frame) -> Frame:
        """Compress the frames of every data message; pass control frames through.

        RSV1 is set on the first frame of the message only (section 6).
        """
        opcode = frame.opcode
        if opcode & _CONTROL:
            return frame
        first = opcode is not CONT
        if not first and not self._encoding_message:
            return frame  # a continuation of a message this codec did not start
        fin = frame.fin
        self._encoding_message = not fin
        encoder = self._encoder
        if encoder is None:
            encoder = self._encoder = self.new_encoder()
        # Section 7.2.1: "Compress all the octets of the payload of the message using
        # DEFLATE." A sync flush ends each frame at a byte boundary with an empty stored
        # block, so the peer can inflate each fragment as it arrives.
        head = encoder.compress(frame.data)
        tail = encoder.flush(SYNC_FLUSH)
        if fin:
            # "If the resulting data does not end with an empty DEFLATE block with no
            # compression ..., append an empty DEFLATE block with no compression to the
            # tail end. Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
            # A sync flush always ends with that block. An empty message becomes the
            # single octet 0x00 (section 7.2.3.6).
            # The two parts are joined once, without the 4 octets (the flush's output
            # holds them whole: it ends with that block).
            assert tail.endswith(_TAIL)
            data = b"".join((head, memoryview(tail)[:-4])) if head else tail[:-4]
            if self.local_no_context_takeover:
                self._encoder = None
        else:
            data = head + tail
        return with_data(frame, data, first)


# --- negotiation -----------------------------------------------------------------------


def _check_factory_bits(
    server_max_window_bits: int | None, client_max_window_bits: int | bool | None
) -> None:
    _check_window_bits("server_max_window_bits", server_max_window_bits)
    if client_max_window_bits is not True:
        if client_max_window_bits is False:
            raise ValueError("client_max_window_bits must be True, None or an int in 8..15")
        _check_window_bits("client_max_window_bits", client_max_window_bits)


class ClientPerMessageDeflateFactory(ClientExtensionFactory):
    """The client's permessage-deflate offer and its check of the server's response.

    ``client_max_window_bits=True`` offers the parameter without a value ("the client
    supports the parameter in the response"), an int also promises that window, ``None``
    leaves it out. ``server_max_window_bits`` asks the server for a smaller window.

    Raises:
        ValueError: (constructor) a window size outside 8..15 or unknown compress settings.
    """

    name = NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | bool | None = True,
        compress_settings: Mapping[str, int] | None = None,
    ) -> None:
        _check_factory_bits(server_max_window_bits, client_max_window_bits)
        self.offer = PerMessageDeflateParameters(
            server_no_context_takeover=server_no_context_takeover,
            client_no_context_takeover=client_no_context_takeover,
            server_max_window_bits=server_max_window_bits,
            client_max_window_bits=client_max_window_bits,
        )
        self.compress_settings = _check_compress_settings(compress_settings)

    def __repr__(self) -> str:
        return f"ClientPerMessageDeflateFactory({self.offer})"

    def get_request_params(self) -> list[ExtensionParameter]:
        """The offer's parameters (RFC 7692 section 7.1)."""
        return self.offer.to_params()

    def process_response_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> PerMessageDeflate:
        """Check the server's response against the offer and build the codec.

        Raises:
            NegotiationError: (or a subclass) the response breaks RFC 7692 section 7.1:
                permessage-deflate accepted twice, invalid parameters, or a response that
                does not honour the offer.
        """
        if any(isinstance(ext, PerMessageDeflate) for ext in accepted_extensions):
            raise NegotiationError("permessage-deflate negotiated twice")
        response = parse_parameters(params, is_offer=False)
        offer = self.offer
        # Section 7.1.1.1: "A server accepts an extension negotiation offer that includes
        # the "server_no_context_takeover" extension parameter by including the
        # "server_no_context_takeover" extension parameter in the corresponding extension
        # negotiation response".
        if offer.server_no_context_takeover and not response.server_no_context_takeover:
            raise NegotiationError("server_no_context_takeover was offered, not accepted")
        # Section 7.1.2.1: "A server accepts an extension negotiation offer with this
        # parameter by including the "server_max_window_bits" extension parameter in the
        # extension negotiation response to send back to the client with the same or
        # smaller value as the offer."
        if offer.server_max_window_bits is not None:
            if response.server_max_window_bits is None:
                raise NegotiationError("server_max_window_bits was offered, not accepted")
            if response.server_max_window_bits > offer.server_max_window_bits:
                raise NegotiationError(
                    f"server_max_window_bits={response.server_max_window_bits} exceeds the"
                    f" offered {offer.server_max_window_bits}"
                )
        # Section 7.1.2.2: "If a received extension negotiation offer doesn't have the
        # "client_max_window_bits" extension parameter, the corresponding extension
        # negotiation response to the offer MUST NOT include the "client_max_window_bits"
        # extension parameter." With a value, the server may answer "a value equal to or
        # smaller than the received value".
        local_bits = MAX_WINDOW_BITS
        if offer.client_max_window_bits not in (None, True):
            local_bits = int(offer.client_max_window_bits)
        if response.client_max_window_bits is not None:
            if offer.client_max_window_bits is None:
                raise NegotiationError("client_max_window_bits in the response, not offered")
            if int(response.client_max_window_bits) > local_bits:
                raise NegotiationError(
                    f"client_max_window_bits={response.client_max_window_bits} exceeds the"
                    f" offered {local_bits}"
                )
            local_bits = int(response.client_max_window_bits)
        return PerMessageDeflate(
            remote_no_context_takeover=response.server_no_context_takeover,
            # Section 7.1.1.2: the client may also drop its context on its own, "even if
            # the server doesn't include" the parameter.
            local_no_context_takeover=(
                response.client_no_context_takeover or offer.client_no_context_takeover
            ),
            remote_max_window_bits=response.server_max_window_bits or MAX_WINDOW_BITS,
            local_max_window_bits=local_bits,
            compress_settings=self.compress_settings,
        )


class ServerPerMessageDeflateFactory(ServerExtensionFactory):
    """The server's answer to a client's permessage-deflate offer.

    ``server_no_context_takeover`` / ``server_max_window_bits`` restrict the server's own
    compressor even if the client did not ask. ``client_no_context_takeover`` /
    ``client_max_window_bits`` ask the client to restrict its compressor; the client can
    honour a window size only if it offered ``client_max_window_bits``; with
    ``require_client_max_window_bits`` an offer without it is declined, else it is
    accepted with a 15-bit client window.

    Raises:
        ValueError: (constructor) a window size outside 8..15 or unknown compress settings.
    """

    name = NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: int | None = None,
        client_max_window_bits: int | None = None,
        compress_settings: Mapping[str, int] | None = None,
        *,
        require_client_max_window_bits: bool = False,
    ) -> None:
        _check_factory_bits(server_max_window_bits, client_max_window_bits)
        if client_max_window_bits is True:
            raise ValueError("the server's client_max_window_bits must be None or 8..15")
        if require_client_max_window_bits and client_max_window_bits is None:
            raise ValueError("require_client_max_window_bits needs client_max_window_bits")
        self.config = PerMessageDeflateParameters(
            server_no_context_takeover=server_no_context_takeover,
            client_no_context_takeover=client_no_context_takeover,
            server_max_window_bits=server_max_window_bits,
            client_max_window_bits=client_max_window_bits,
        )
        self.require_client_max_window_bits = require_client_max_window_bits
        self.compress_settings = _check_compress_settings(compress_settings)

    def __repr__(self) -> str:
        return f"ServerPerMessageDeflateFactory({self.config})"

    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], PerMessageDeflate]:
        """Answer one offer, or decline it.

        Raises:
            NegotiationError: (or a subclass) the offer is declined: permessage-deflate
                is already accepted, the offer is invalid (RFC 7692 section 5), or it
                lacks a required ``client_max_window_bits``.
        """
        if any(isinstance(ext, PerMessageDeflate) for ext in accepted_extensions):
            raise NegotiationError("permessage-deflate is already accepted")
        offer = parse_parameters(params, is_offer=True)
        config = self.config

        # Section 7.1.1.1: the server accepts server_no_context_takeover "by including"
        # it; "A server MAY include the "server_no_context_takeover" extension parameter
        # in an extension negotiation response even if the extension negotiation offer
        # being accepted by the extension negotiation response didn't include" it.
        server_nct = offer.server_no_context_takeover or config.server_no_context_takeover
        # Section 7.1.1.2: the client's client_no_context_takeover is a hint the server
        # "may either ignore ... or use"; using it lets the server drop its inflate
        # context between messages.
        client_nct = offer.client_no_context_takeover or config.client_no_context_takeover

        # Section 7.1.2.1: "the same or smaller value as the offer"; the server "MAY
        # include the "server_max_window_bits" extension parameter ... even if the
        # extension negotiation offer ... didn't include" it.
        server_bits = offer.server_max_window_bits
        if config.server_max_window_bits is not None:
            server_bits = min(server_bits or MAX_WINDOW_BITS, config.server_max_window_bits)

        # Section 7.1.2.2: no client_max_window_bits in the response unless offered.
        client_bits: int | None
        if offer.client_max_window_bits is None:
            if self.require_client_max_window_bits:
                raise NegotiationError("required client_max_window_bits is not offered")
            client_bits = None
        elif offer.client_max_window_bits is True:
            client_bits = config.client_max_window_bits
        else:
            client_bits = int(offer.client_max_window_bits)
            if config.client_max_window_bits is not None:
                client_bits = min(client_bits, config.client_max_window_bits)

        response = PerMessageDeflateParameters(
            server_no_context_takeover=server_nct,
            client_no_context_takeover=client_nct,
            server_max_window_bits=server_bits,
            client_max_window_bits=client_bits,
        )
        extension = PerMessageDeflate(
            remote_no_context_takeover=client_nct,
            local_no_context_takeover=server_nct,
            remote_max_window_bits=client_bits or MAX_WINDOW_BITS,
            local_max_window_bits=server_bits or MAX_WINDOW_BITS,
            compress_settings=self.compress_settings,
        )
        return response.to_params(), extension


def enable_client_permessage_deflate(
    extensions: Sequence[ClientExtensionFactory] | None,
) -> list[ClientExtensionFactory]:
    """``extensions`` plus a default permessage-deflate offer unless one is there.

    The front ends call this so that compression is on by default.
    """
    factories = list(extensions or ())
    if not any(factory.name == NAME for factory in factories):
        factories.append(ClientPerMessageDeflateFactory())
    return factories


def enable_server_permessage_deflate(
    extensions: Sequence[ServerExtensionFactory] | None,
) -> list[ServerExtensionFactory]:
    """``extensions`` plus a default permessage-deflate answer unless one is there."""
    factories = list(extensions or ())
    if not any(factory.name == NAME for factory in factories):
        factories.append(ServerPerMessageDeflateFactory())
    return factories
