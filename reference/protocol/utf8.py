"""Incremental UTF-8 validation that fails at the first invalid byte (RFC 6455 section 8.1).

Section 8.1: "When an endpoint is to interpret a byte stream as UTF-8 but finds that the
byte stream is not, in fact, a valid UTF-8 stream, that endpoint MUST _Fail the
WebSocket Connection_." Section 5.6 makes the *whole message* text, so validity is a
property of the concatenated fragments: a code point may be split between frames, and
between any two reads of the socket.

Failing fast means failing at the first byte after which no continuation could make the
stream valid: ``ED A0`` is already invalid (it can only start a UTF-16 surrogate), long
before the third byte arrives. Autobahn's cases 6.x send such streams in pieces and
expect the connection to fail at the piece that holds the invalid byte.

The validity rules are those of Python's strict ``utf-8`` codec (RFC 3629): no
surrogates, no overlong forms, nothing above U+10FFFF. The bulk of the work is done by
CPython's incremental decoder, which runs in C at memory speed on ASCII and checks each
byte as soon as it sees it, with one exception handled here: it keeps ``ED A0``-``ED
BF`` pending instead of rejecting it at once.
"""

from __future__ import annotations

import codecs
from typing import Final

from .mask import BytesLike

__all__ = ["Utf8Validator", "find_invalid"]

_Decoder: Final = codecs.getincrementaldecoder("utf-8")


def _offending(data: bytes, start: int, end: int) -> int:
    """Index of the byte that made ``data[start:end]`` invalid.

    The codec reports the maximal ill-formed subpart ``[start, end)``. When it begins
    with a lead byte that can start a sequence, the subpart was a valid beginning and
    the byte at ``end`` broke it; otherwise the byte at ``start`` is invalid by itself.
    """
    if 0xC2 <= data[start] <= 0xF4:
        return end
    return start


class Utf8Validator:
    """Validate a UTF-8 stream fed in pieces split anywhere.

    Attributes:
        error_position: offset, in the whole stream, of the first invalid byte; ``None``
            while the stream is valid.
        consumed: number of bytes fed so far.
    """

    __slots__ = ("_decoder", "_pending", "consumed", "error_position")

    def __init__(self) -> None:
        self._decoder = _Decoder("strict")
        # Bytes of an incomplete code point held by the decoder (its getstate()).
        self._pending = 0
        self.consumed = 0
        self.error_position: int | None = None

    @property
    def valid(self) -> bool:
        """The stream so far is a prefix of some valid UTF-8 stream."""
        return self.error_position is None

    @property
    def complete(self) -> bool:
        """The stream so far is valid and ends on a code point boundary."""
        return self.error_position is None and not self._pending

    def feed(self, data: BytesLike) -> bool:
        """Validate the next piece of the stream; return :attr:`valid`.

        Once the stream is invalid, further pieces are counted and ignored.
        """
        if self.error_position is not None:
            self.consumed += len(data)
            return False
        # Offset in the stream of the first byte the decoder sees: its pending bytes
        # of an incomplete code point come before ``data``.
        base = self.consumed - self._pending
        self.consumed += len(data)
        try:
            self._decoder.decode(data, False)
        except UnicodeDecodeError as exc:
            self.error_position = base + _offending(exc.object, exc.start, exc.end)
            return False
        if not data:
            return True
        if data[-1] < 0x80:
            # Decoded up to an ASCII byte: nothing is pending (saves getstate()).
            self._pending = 0
            return True
        pending: bytes = self._decoder.getstate()[0]
        self._pending = len(pending)
        # RFC 3629 section 4: "UTF8-3 = ... %xED %x80-9F UTF8-tail". The codec waits
        # for a third byte before rejecting ED A0..BF (a surrogate); do not wait.
        if len(pending) >= 2 and pending[0] == 0xED and pending[1] > 0x9F:
            self.error_position = self.consumed - len(pending) + 1
            return False
        return True

    def reset(self) -> None:
        """Start a new stream (for example, the next text message)."""
        self._decoder.reset()
        self._pending = 0
        self.consumed = 0
        self.error_position = None


def find_invalid(data: BytesLike, *, final: bool = True) -> int | None:
    """Return the index of the first invalid byte of ``data``, or ``None`` if valid.

    With ``final`` true, ``data`` is the whole stream: an incomplete code point at its
    end makes it invalid at index ``len(data)``, where the missing byte should be.
    """
    validator = Utf8Validator()
    if not validator.feed(data):
        return validator.error_position
    if final and not validator.complete:
        return len(data)
    return None
