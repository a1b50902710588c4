"""The ``compression=`` option: which extension factories a front end offers or accepts.

``"deflate"`` adds permessage-deflate (RFC 7692) after the user's own ``extensions``,
unless they already hold a permessage-deflate factory; ``None`` adds nothing.

The defaults trade a little compression for memory, as websockets does: 4 KiB windows
(12 bits) chosen by the server for both directions and ``memLevel=5``, about 64 KiB of
zlib state per connection and direction instead of about 320 KiB.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..protocol.extensions.factories import ClientExtensionFactory, ServerExtensionFactory
from ..protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

__all__ = ["COMPRESS_SETTINGS", "SERVER_WINDOW_BITS", "client_extensions", "server_extensions"]

_NAME = "permessage-deflate"
#: zlib settings of the default compressors.
COMPRESS_SETTINGS = {"memLevel": 5}
#: The window the default server asks for, both directions.
SERVER_WINDOW_BITS = 12


def _check(compression: str | None) -> None:
    if compression not in ("deflate", None):
        raise ValueError(f"unsupported compression: {compression!r}")


def client_extensions(
    compression: str | None, extensions: Sequence[ClientExtensionFactory] | None
) -> list[ClientExtensionFactory]:
    """The client's extension factories for ``compression`` and ``extensions``.

    Raises:
        ValueError: ``compression`` is neither ``"deflate"`` nor ``None``.
    """
    _check(compression)
    factories = list(extensions or ())
    if compression == "deflate" and not any(f.name == _NAME for f in factories):
        factories.append(ClientPerMessageDeflateFactory(compress_settings=COMPRESS_SETTINGS))
    return factories


def server_extensions(
    compression: str | None, extensions: Sequence[ServerExtensionFactory] | None
) -> list[ServerExtensionFactory]:
    """The server's extension factories for ``compression`` and ``extensions``.

    Raises:
        ValueError: ``compression`` is neither ``"deflate"`` nor ``None``.
    """
    _check(compression)
    factories = list(extensions or ())
    if compression == "deflate" and not any(f.name == _NAME for f in factories):
        factories.append(
            ServerPerMessageDeflateFactory(
                server_max_window_bits=SERVER_WINDOW_BITS,
                client_max_window_bits=SERVER_WINDOW_BITS,
                compress_settings=COMPRESS_SETTINGS,
            )
        )
    return factories
