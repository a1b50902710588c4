"""The raw DEFLATE back end of permessage-deflate: stdlib ``zlib`` or the faster zlib-ng.

RFC 7692 needs raw DEFLATE (section 7.2.1), window bits 8-15 in both directions
(section 7.1.2), fresh compressor and decompressor objects when a side drops its context
(section 7.1.1) and a sync flush that ends each message with ``00 00 ff ff``. Two
implementations offer all of it with the same behaviour:

* ``zlib-ng`` (PyPI ``zlib-ng``, module ``zlib_ng.zlib_ng``): a fork of zlib with the
  same API and the same inflate checks, several times faster at level 1;
* ``zlib``: the standard library, the fallback when zlib-ng is not installed.

Both refuse a 256-byte window on raw deflate (section 7.1.2.1 notes that zlib cannot
compress with 8 bits); both keep every match distance below ``2**bits - 262``, so
compressing with 9 bits when 8 were negotiated stays within a 256-byte window (a test
inflates such output with an 8-bit window). ISA-L (PyPI ``isal``) is faster still but
emits distances up to 512 when asked for 9 bits, beyond an 8-bit window: it cannot serve
``client_max_window_bits=8`` and is not offered here.

:func:`current` is the back end of this process: the environment variable
``WSCONFORM_DEFLATE`` (``zlib`` or ``zlib-ng``) when set, else the fastest installed.
"""

from __future__ import annotations

import dataclasses
import os
import zlib
from collections.abc import Callable
from typing import Protocol

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "Backend",
    "CodecError",
    "Compressor",
    "Decompressor",
    "available",
    "current",
    "load",
    "select",
]

#: The back ends by name, fastest first.
BACKENDS: tuple[str, ...] = ("zlib-ng", "zlib")
#: The environment variable that chooses the back end.
ENV_VAR = "WSCONFORM_DEFLATE"

DEFAULT_LEVEL = -1
DEFAULT_MEM_LEVEL = 8
DEFAULT_STRATEGY = 0
SYNC_FLUSH = 2  # Z_SYNC_FLUSH in zlib and zlib-ng alike


class CodecError(Exception):
    """A back end that is unknown or not installed."""


class Compressor(Protocol):
    """What permessage-deflate needs of a compressor (zlib's ``Compress``)."""

    def compress(self, data: bytes, /) -> bytes: ...  # pragma: no cover
    def flush(self, mode: int = ..., /) -> bytes: ...  # pragma: no cover


class Decompressor(Protocol):
    """What permessage-deflate needs of a decompressor (zlib's ``Decompress``)."""

    @property
    def eof(self) -> bool: ...  # pragma: no cover
    @property
    def unused_data(self) -> bytes: ...  # pragma: no cover
    def decompress(self, data: bytes, /, max_length: int = ...) -> bytes: ...  # pragma: no cover


@dataclasses.dataclass(frozen=True, slots=True)
class Backend:
    """One raw DEFLATE implementation: its name, version and the error it raises."""

    name: str
    version: str
    error: type[Exception]
    _compressobj: Callable[..., Compressor]
    _decompressobj: Callable[..., Decompressor]

    def compressor(
        self,
        bits: int,
        level: int = DEFAULT_LEVEL,
        mem_level: int = DEFAULT_MEM_LEVEL,
        strategy: int = DEFAULT_STRATEGY,
    ) -> Compressor:
        """A fresh raw-deflate compressor for a negotiated window of ``bits`` (8-15).

        Section 7.1.2.1: with 8 bits the compressor runs with 9, whose matches never
        reach past 250 octets (see the module docstring).
        """
        return self._compressobj(level, zlib.DEFLATED, -max(bits, 9), mem_level, strategy)

    def decompressor(self, bits: int, zdict: bytes = b"") -> Decompressor:
        """A fresh raw-deflate decompressor with exactly the negotiated window."""
        if zdict:
            return self._decompressobj(-bits, zdict=zdict)
        return self._decompressobj(-bits)


def _zlib() -> Backend:
    return Backend(
        "zlib", zlib.ZLIB_RUNTIME_VERSION, zlib.error, zlib.compressobj, zlib.decompressobj
    )


def _zlib_ng() -> Backend:
    from zlib_ng import zlib_ng

    # The package's stubs call the version an int and the error an instance; at run
    # time they are a string and an exception class.
    error: object = zlib_ng.error
    assert isinstance(error, type) and issubclass(error, Exception)
    return Backend(
        "zlib-ng",
        str(zlib_ng.ZLIBNG_VERSION),
        error,
        zlib_ng.compressobj,
        zlib_ng.decompressobj,
    )


_LOADERS: dict[str, Callable[[], Backend]] = {"zlib-ng": _zlib_ng, "zlib": _zlib}
_current: Backend | None = None


def load(name: str) -> Backend:
    """The back end called ``name``.

    Raises:
        CodecError: ``name`` is not one of :data:`BACKENDS`, or its package is missing.
    """
    loader = _LOADERS.get(name)
    if loader is None:
        raise CodecError(f"unknown deflate back end {name!r} (choose from {', '.join(BACKENDS)})")
    try:
        return loader()
    except ImportError as exc:
        raise CodecError(f"deflate back end {name!r} is not installed: {exc}") from exc


def available() -> list[Backend]:
    """The installed back ends, fastest first."""
    found: list[Backend] = []
    for name in BACKENDS:
        try:
            found.append(load(name))
        except CodecError:
            continue
    return found


def select(name: str | None) -> Backend:
    """Make ``name`` (``None``: the fastest installed) this process's back end.

    Raises:
        CodecError: see :func:`load`.
    """
    global _current
    _current = load(name) if name else available()[0]
    return _current


def current() -> Backend:
    """This process's back end, chosen on first use from :data:`ENV_VAR`.

    Raises:
        CodecError: the variable names an unknown or missing back end.
    """
    if _current is None:
        return select(os.environ.get(ENV_VAR) or None)
    return _current
