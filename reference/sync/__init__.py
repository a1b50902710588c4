"""The thread-based client and server: the blocking twin of the asyncio API.

Same method names as the asyncio connection (``recv``, ``send``, ``ping``, ``pong``,
``close``, iteration), without ``await``::

    from wsconform.reference.sync import connect, serve

    with connect("ws://127.0.0.1:8765/") as ws:
        ws.send("Hello")
        print(ws.recv(timeout=10))
"""

from __future__ import annotations

from .client import ClientConnection, connect, unix_connect
from .connection import Connection, Data, PongWaiter
from .server import Server, ServerConnection, serve, unix_serve

__all__ = [
    "ClientConnection",
    "Connection",
    "Data",
    "PongWaiter",
    "Server",
    "ServerConnection",
    "connect",
    "serve",
    "unix_connect",
    "unix_serve",
]
