"""The tester's wire client: connect, handshake, send exactly, read with Autobahn's checks.

* :mod:`.client`: :func:`~.client.connect` (TCP or TLS, with a timeout).
* :mod:`.connection`: :class:`~.connection.TesterConnection`, the asyncio protocol that
  writes in burst, sync and chopped modes, reads and checks the peer, runs the library
  timers and fills the observation record.
* :mod:`.reader`: the sans-I/O reader of the peer's frames with the tester's checks.
* :mod:`.handshake`: the upgrade request and the checks of the response.
* :mod:`.exceptions`: harness errors (the target cannot be reached).
"""

from __future__ import annotations

from .client import DEFAULT_CONNECT_TIMEOUT, connect, parse_target, tls_context
from .connection import (
    CLOSED,
    CLOSING,
    CONNECTING,
    DEFAULT_MAX_MESSAGE_SIZE,
    OPEN,
    ConnectionEvents,
    State,
    TesterConnection,
    WireTimeouts,
    close_code_valid,
)
from .exceptions import ConnectError, InvalidTargetURL, WireError
from .handshake import HandshakeFailed, RequestSettings

__all__ = [
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OPEN",
    "ConnectError",
    "ConnectionEvents",
    "HandshakeFailed",
    "InvalidTargetURL",
    "RequestSettings",
    "State",
    "TesterConnection",
    "WireError",
    "WireTimeouts",
    "close_code_valid",
    "connect",
    "parse_target",
    "tls_context",
]
