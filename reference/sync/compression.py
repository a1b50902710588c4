"""Turn the ``compression`` option into extension factories (on by default).

The defaults are the asyncio front end's (:mod:`..asyncio.compression`): 4 KiB windows
chosen by the server for both directions and ``memLevel=5``, as websockets does.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..asyncio.compression import COMPRESS_SETTINGS, SERVER_WINDOW_BITS
from ..protocol.extensions.factories import ClientExtensionFactory, ServerExtensionFactory
from ..protocol.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    ServerPerMessageDeflateFactory,
)

__all__ = ["client_extensions", "server_extensions"]


def _check(compression: str | None) -> None:
    if compression not in ("deflate", None):
        raise ValueError(f"unsupported compression: {compression!r} (use 'deflate' or None)")


def client_extensions(
    compression: str | None, extensions: Sequence[ClientExtensionFactory] | None
) -> list[ClientExtensionFactory]:
    """The client's offers: ``extensions`` plus permessage-deflate unless one is there.

    Raises:
        ValueError: ``compression`` is neither ``"deflate"`` nor ``None``.
    """
    _check(compression)
    factories = list(extensions or ())
    if compression == "deflate" and not any(
        f.name == ClientPerMessageDeflateFactory.name for f in factories
    ):
        factories.append(ClientPerMessageDeflateFactory(compress_settings=COMPRESS_SETTINGS))
    return factories


def server_extensions(
    compression: str | None, extensions: Sequence[ServerExtensionFactory] | None
) -> list[ServerExtensionFactory]:
    """The server's accepted extensions, permessage-deflate added unless one is there.

    Raises:
        ValueError: ``compression`` is neither ``"deflate"`` nor ``None``.
    """
    _check(compression)
    factories = list(extensions or ())
    if compression == "deflate" and not any(
        f.name == ServerPerMessageDeflateFactory.name for f in factories
    ):
        factories.append(
            ServerPerMessageDeflateFactory(
                server_max_window_bits=SERVER_WINDOW_BITS,
                client_max_window_bits=SERVER_WINDOW_BITS,
                compress_settings=COMPRESS_SETTINGS,
            )
        )
    return factories
