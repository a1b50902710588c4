"""The reference WebSocket implementation: a sans-I/O core and front ends on top of it.

The asyncio server and client are re-exported here: ``from wsconform.reference import
serve, connect``. The core lives in :mod:`wsconform.reference.protocol`, the asyncio
front end in :mod:`wsconform.reference.asyncio`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .protocol.exceptions import (
    ConcurrencyError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    DuplicateParameter,
    FailConnection,
    InternalError,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidPayloadData,
    InvalidState,
    InvalidStatus,
    InvalidUpgrade,
    InvalidURI,
    InvalidVersion,
    MissingExtension,
    MultipleValuesError,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
    SecurityError,
    WebSocketError,
)
from .protocol.headers import Headers
from .protocol.http import Request, Response

if TYPE_CHECKING:
    from .asyncio.broadcast import broadcast
    from .asyncio.client import ClientConnection, connect, unix_connect
    from .asyncio.server import Server, ServerConnection, serve, unix_serve
    from .protocol.connection import State

# The front end is imported on first use, so that importing the sans-I/O core
# (wsconform.reference.protocol) does not import asyncio.
_LAZY = {
    "broadcast": ".asyncio.broadcast",
    "ClientConnection": ".asyncio.client",
    "connect": ".asyncio.client",
    "unix_connect": ".asyncio.client",
    "Server": ".asyncio.server",
    "ServerConnection": ".asyncio.server",
    "serve": ".asyncio.server",
    "unix_serve": ".asyncio.server",
    "State": ".protocol.connection",
}


__all__ = [
    "ClientConnection",
    "ConcurrencyError",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DuplicateParameter",
    "FailConnection",
    "Headers",
    "InternalError",
    "InvalidHandshake",
    "InvalidHeader",
    "InvalidHeaderFormat",
    "InvalidHeaderValue",
    "InvalidMessage",
    "InvalidOrigin",
    "InvalidParameterName",
    "InvalidParameterValue",
    "InvalidPayloadData",
    "InvalidState",
    "InvalidStatus",
    "InvalidURI",
    "InvalidUpgrade",
    "InvalidVersion",
    "MissingExtension",
    "MultipleValuesError",
    "NegotiationError",
    "PayloadTooBig",
    "ProtocolError",
    "Request",
    "Response",
    "SecurityError",
    "Server",
    "ServerConnection",
    "State",
    "WebSocketError",
    "broadcast",
    "connect",
    "serve",
    "unix_connect",
    "unix_serve",
]


def __getattr__(name: str) -> Any:
    """Import the asyncio front end when one of its names is first used.

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
