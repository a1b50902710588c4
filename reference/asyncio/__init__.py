"""The asyncio front end of the reference implementation: server, client, broadcast.

The names below are imported on first use, so that importing one module of the front
end (say :mod:`.connection`) does not import the others.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .broadcast import broadcast
    from .client import ClientConnection, connect, process_exception, unix_connect
    from .connection import Connection
    from .server import Server, ServerConnection, serve, unix_serve

__all__ = [
    "ClientConnection",
    "Connection",
    "Server",
    "ServerConnection",
    "broadcast",
    "connect",
    "process_exception",
    "serve",
    "unix_connect",
    "unix_serve",
]

_LAZY = {
    "broadcast": ".broadcast",
    "ClientConnection": ".client",
    "connect": ".client",
    "process_exception": ".client",
    "unix_connect": ".client",
    "Connection": ".connection",
    "Server": ".server",
    "ServerConnection": ".server",
    "serve": ".server",
    "unix_serve": ".server",
}


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use.

    Raises:
        AttributeError: ``name`` is not exported.
    """
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
