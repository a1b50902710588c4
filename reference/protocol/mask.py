"""Masking of frame payloads (RFC 6455 section 5.3).

"Octet i of the transformed data ("transformed-octet-i") is the XOR of octet i of the
original data ("original-octet-i") with octet at index i modulo 4 of the masking key
("masking-key-octet-j")". Masking and unmasking are the same operation.

Two implementations share one set of tests:

* :func:`apply_mask_python` / :func:`mask_in_place_python`, plain Python: the payload and
  the repeated key are read as two big integers and XORed in one operation. It is the
  fastest plain-Python approach (about 0.02x of websockets' C code on large payloads) and
  the best one below :data:`NUMPY_THRESHOLD` bytes, where numpy's call overhead dominates.
* :func:`apply_mask` / :func:`mask_in_place`, numpy's 64-bit XOR over an aligned
  ``uint64`` view. numpy is a runtime dependency; when it cannot be imported the plain
  functions are used.

Large payloads are memory-bound, so the fast path avoids any allocation beyond the
result: :func:`apply_mask` copies the payload into an :class:`io.BytesIO` (whose buffer
is a ``bytes`` object), XORs it in place and returns that ``bytes`` object with
``getvalue()``, which CPython hands out without a copy. A second large allocation per
call costs more than the XOR: fresh pages from the kernel are zeroed on first touch.
"""

from __future__ import annotations

import io
import os
import struct
import sys
from collections.abc import Iterator
from typing import Any, TypeAlias

__all__ = [
    "IN_PLACE_THRESHOLD",
    "NUMPY_THRESHOLD",
    "BytesLike",
    "apply_mask",
    "apply_mask_python",
    "mask_in_place",
    "mask_in_place_python",
    "new_mask_key",
]

BytesLike: TypeAlias = bytes | bytearray | memoryview

#: Payloads shorter than this many bytes are masked in plain Python: below it the fixed
#: cost of numpy calls (about 1.5 microseconds) exceeds the big-integer XOR.
NUMPY_THRESHOLD = 1024

#: From this many bytes on, the result is built in place in its final buffer: a second
#: allocation of the payload's size would cost more than the XOR itself (fresh pages from
#: the kernel are zeroed on first touch).
IN_PLACE_THRESHOLD = 16384

try:
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is a runtime dependency
    _np = None  # type: ignore[assignment]
else:
    _frombuffer = _np.frombuffer
    _bitwise_xor = _np.bitwise_xor
    _uint64 = _np.uint64
    _uint32 = _np.uint32

# The order numpy reads a 4-byte key as a uint32.
_BYTEORDER = sys.byteorder

_KEY_STRUCT = struct.Struct("4s")
# Pool of masking keys read from os.urandom in one system call; iter_unpack's __next__ runs
# in C, so two threads never receive the same key.
_POOL_BYTES = 4096


def _new_pool() -> Iterator[tuple[Any, ...]]:
    return _KEY_STRUCT.iter_unpack(os.urandom(_POOL_BYTES))


_pool = _new_pool()


def _reset_pool() -> None:
    global _pool
    _pool = _new_pool()


# A forked child must not reuse the masking keys its parent hands out.
os.register_at_fork(after_in_child=_reset_pool)


def new_mask_key() -> bytes:
    """Return a fresh 4-byte masking key from a strong source of entropy.

    RFC 6455 section 5.3: "The masking key is a 32-bit value chosen at random by the
    client. [...] the masking key MUST be derived from a strong source of entropy". Keys
    come from :func:`os.urandom`, fetched 1024 keys at a time to save a system call per
    frame, and are never handed out twice.
    """
    global _pool
    item = next(_pool, None)
    if item is None:
        _pool = _new_pool()
        item = next(_pool)
    key: bytes = item[0]
    return key


def _check_key(mask: bytes) -> None:
    if len(mask) != 4:
        raise ValueError(f"a masking key has 4 bytes, not {len(mask)}")


def _xor_int(data: BytesLike, mask: bytes) -> bytes:
    """XOR ``data`` with the key repeated, as two big integers."""
    n = len(data)
    if n == 0:
        return b""
    key = int.from_bytes((mask * ((n + 3) >> 2))[:n], "little")
    return (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")


def apply_mask_python(data: BytesLike, mask: bytes) -> bytes:
    """Mask or unmask ``data`` with the 4-byte ``mask``, in plain Python.

    Raises:
        ValueError: ``mask`` is not 4 bytes long.
    """
    _check_key(mask)
    return _xor_int(data, mask)


def mask_in_place_python(
    buffer: bytearray | memoryview, mask: bytes, start: int = 0, end: int | None = None
) -> None:
    """Mask ``buffer[start:end]`` in place; payload octet 0 is at ``start``.

    Raises:
        ValueError: ``mask`` is not 4 bytes long, or the range is outside ``buffer``.
    """
    _check_key(mask)
    start, end = _check_range(buffer, start, end)
    view = memoryview(buffer)
    with view:
        view[start:end] = _xor_int(view[start:end], mask)


def _check_range(buffer: BytesLike, start: int, end: int | None) -> tuple[int, int]:
    size = len(buffer)
    if end is None:
        end = size
    if not 0 <= start <= end <= size:
        raise ValueError(f"range {start}:{end} is outside a buffer of {size} bytes")
    return start, end


def _xor_numpy(view: memoryview, mask: bytes, start: int, end: int) -> None:
    """XOR ``view[start:end]`` in place, with numpy on the 8-aligned middle part.

    ``view`` must be writable and its first byte 8-aligned (true of the buffers of
    ``bytes``, ``bytearray`` and ``BytesIO`` objects): numpy takes a slow buffered loop,
    about 4x slower, on an unaligned ``uint64`` view. Alignment only affects speed.
    """
    first = min((start + 7) & ~7, end)
    words = (end - first) >> 3
    last = first + (words << 3)
    if first > start:
        view[start:first] = _xor_int(view[start:first], mask)
    if words:
        # Octet i of the payload is XORed with mask[i % 4]; the payload octet at buffer
        # offset ``first`` is number first - start, so the key is rotated by that much.
        shift = (first - start) & 3
        key8 = (mask[shift:] + mask[:shift]) * 2
        array = _np.frombuffer(view, _np.uint64, words, first)
        _np.bitwise_xor(array, _np.frombuffer(key8, _np.uint64), out=array)
        # Release numpy's export now, so that the caller can release the view.
        del array
    if last < end:
        shift = (last - start) & 3
        view[last:end] = _xor_int(view[last:end], mask[shift:] + mask[:shift])


def mask_in_place(
    buffer: bytearray | memoryview, mask: bytes, start: int = 0, end: int | None = None
) -> None:
    """Mask ``buffer[start:end]`` in place; payload octet 0 is at ``start``.

    Used by :func:`wsconform.reference.protocol.frames.serialize` to mask a payload
    inside the buffer that already holds the frame header.

    Raises:
        ValueError: ``mask`` is not 4 bytes long, or the range is outside ``buffer``.
    """
    _check_key(mask)
    start, end = _check_range(buffer, start, end)
    if _np is None or end - start < NUMPY_THRESHOLD:
        view = memoryview(buffer)
        with view:
            view[start:end] = _xor_int(view[start:end], mask)
        return
    view = memoryview(buffer)
    with view:
        _xor_numpy(view, mask, start, end)


def apply_mask(data: BytesLike, mask: bytes) -> bytes:
    """Mask or unmask ``data`` with the 4-byte ``mask``; the fast path.

    Raises:
        ValueError: ``mask`` is not 4 bytes long.
    """
    if len(mask) != 4:
        _check_key(mask)
    n = len(data)
    if _np is None or n < NUMPY_THRESHOLD:
        return _xor_int(data, mask)
    if n < IN_PLACE_THRESHOLD:
        # Up to a few KiB, a temporary array costs less than setting up a BytesIO; a
        # Python int operand costs less than a one-element array.
        quads = n >> 2
        last = quads << 2
        array = _frombuffer(data, _uint32, quads)
        result: bytes = (array ^ int.from_bytes(mask, _BYTEORDER)).tobytes()
        if last < n:
            result += _xor_int(data[last:], mask)
        return result
    words = n >> 3
    last = words << 3
    # Inlined _xor_numpy(view, mask, 0, n): the fixed cost still matters at 64 KiB.
    out = io.BytesIO()
    out.write(data)
    view = out.getbuffer()
    array = _frombuffer(view, _uint64, words)
    _bitwise_xor(array, _frombuffer(mask * 2, _uint64), out=array)
    del array
    if last < n:
        view[last:] = _xor_int(view[last:], mask)
    # With no export left, getvalue() returns the buffer itself rather than a copy.
    view.release()
    return out.getvalue()
