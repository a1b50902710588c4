"""The interface every negotiated extension implements (RFC 6455 section 9).

INTERFACE FILE: the connection state machine calls these two methods on each frame, in
negotiation order for ``encode`` and in reverse order for ``decode``.
"""

from __future__ import annotations

import abc
from typing import ClassVar

from ..frames import Frame

__all__ = ["Extension"]


class Extension(abc.ABC):
    """A negotiated extension bound to one connection."""

    #: Extension token as it appears in ``Sec-WebSocket-Extensions``.
    name: str

    #: Numbers (1, 2, 3) of the RSV bits this extension gives a meaning to. RFC 6455
    #: section 5.2: "MUST be 0 unless an extension is negotiated that defines meanings for
    #: non-zero values." The connection accepts an incoming frame with RSVn set only when a
    #: negotiated extension lists n here (permessage-deflate: ``frozenset({1})``).
    rsv_bits: ClassVar[frozenset[int]] = frozenset()

    @abc.abstractmethod
    def encode(self, frame: Frame) -> Frame:
        """Transform an outgoing frame (for example, compress it and set RSV1)."""

    @abc.abstractmethod
    def decode(self, frame: Frame, *, max_size: int | None = None) -> Frame:
        """Transform an incoming frame (for example, decompress it and clear RSV1).

        ``max_size`` bounds the size of the decoded *message* so far, so that a
        decompression bomb fails with :class:`PayloadTooBig` before it is inflated.

        Raises:
            ProtocolError: the frame breaks the extension's rules (RFC 7692 section 6.1).
            PayloadTooBig: the decoded data would exceed ``max_size``.
        """
