"""The tester's wire: connect or accept, handshake, send exactly, read with Autobahn's checks.

* :mod:`.client`: :func:`~.client.connect` (TCP or TLS, with a timeout): testing servers.
* :mod:`.server`: :func:`~.server.serve`, the accepting adapter: testing clients.
* :mod:`.connection`: :class:`~.connection.TesterConnection`, the asyncio protocol in
  either role (:data:`~.connection.CLIENT`, :data:`~.connection.SERVER`) that writes in
  burst, sync and chopped modes, reads and checks the peer, keeps the library timers as
  deadlines and fills the observation record.
* :mod:`.reader`: the sans-I/O reader of the peer's frames with the tester's checks.
* :mod:`.frame`: the permissive :class:`~.frame.WireFrame` and :class:`~.frame.WireParser`.
* :mod:`.handshake`: both sides of the opening handshake.
* :mod:`.exceptions`: harness errors (the target cannot be reached).
"""

from __future__ import annotations

from .client import DEFAULT_CONNECT_TIMEOUT, connect, parse_target, tls_context
from .connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    DEFAULT_MAX_MESSAGE_SIZE,
    OPEN,
    SERVER,
    ConnectionEvents,
    Role,
    State,
    TesterConnection,
    WireTimeouts,
    close_code_valid,
)
from .exceptions import ConnectError, InvalidTargetURL, WireError
from .handshake import HandshakeFailed, RequestSettings

__all__ = [
    "CLIENT",
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OPEN",
    "SERVER",
    "ConnectError",
    "ConnectionEvents",
    "HandshakeFailed",
    "InvalidTargetURL",
    "RequestSettings",
    "Role",
    "State",
    "TesterConnection",
    "WireError",
    "WireTimeouts",
    "close_code_valid",
    "connect",
    "parse_target",
    "tls_context",
]
