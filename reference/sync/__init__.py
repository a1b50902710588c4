"""The thread-based client and server (R19): the blocking twin of the asyncio API.

Same method names as the asyncio connection (``recv``, ``send``, ``ping``, ``pong``,
``close``, iteration), without ``await``.
"""

from __future__ import annotations

from .connection import Connection, Data, PongWaiter

__all__ = ["Connection", "Data", "PongWaiter"]
