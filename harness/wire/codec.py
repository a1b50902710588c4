"""Small pieces of frame encoding the tester needs beyond the core's permissive codec.

Whole frames are built with :class:`wsconform.harness.wire.frame.WireFrame`, which
writes any opcode, FIN and RSV (the tester must send what a conforming endpoint never
would). What it does not cover is the *streamed* frame of cases 6.4.3 and 6.4.4, whose
header goes out first and whose payload follows in separate writes, masked with the
header's key: :func:`mask_stream` masks such a piece where it falls in the payload.

``rsv`` values follow Autobahn's numbering, RSV1 being 4 (:data:`RSV1`, the
permessage-deflate "Per-Message Compressed" bit).
"""

from __future__ import annotations

from wsconform.reference.protocol.mask import BytesLike, apply_mask

__all__ = ["RSV1", "mask_stream"]

#: The RSV value with only RSV1 set.
RSV1 = 4


def mask_stream(data: BytesLike, mask_key: bytes, offset: int) -> bytes:
    """Mask ``data`` that starts at payload octet ``offset`` of a frame.

    RFC 6455 section 5.3: "Octet i of the transformed data ("transformed-octet-i") is
    the XOR of octet i of the original data ("original-octet-i") with octet at index i
    modulo 4 of the masking key", so a piece starting at ``offset`` uses the key rotated
    by ``offset % 4``.

    Raises:
        ValueError: the key is not 4 bytes.
    """
    if len(mask_key) != 4:
        raise ValueError(f"a masking key has 4 bytes, not {len(mask_key)}")
    shift = offset % 4
    return apply_mask(data, mask_key[shift:] + mask_key[:shift]) if data else b""
