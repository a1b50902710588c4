"""The tester connection's states, roles, library timers and the interfaces around it.

What :class:`~.protocol.TesterProtocol` and its front ends share: the connection states
(RFC 6455 sections 4 and 7), the tester's role, Autobahn|Python's library timers and
their durations (docs/autobahn.md section 4.1), the events sink of the case executor,
how TCP is closed, and the tester's judgement of a peer's close code (docs/autobahn.md
section 2.6). Nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Protocol

from wsconform.reference.protocol.close import is_valid_wire_code

__all__ = [
    "ABORT",
    "ALLOWED_CLOSE_CODES",
    "CLIENT",
    "CLOSE",
    "CLOSED",
    "CLOSE_HANDSHAKE",
    "CLOSING",
    "CONNECTING",
    "DEFAULT_MAX_MESSAGE_SIZE",
    "OPEN",
    "OPEN_HANDSHAKE",
    "PONG_BACKLOG",
    "SERVER",
    "SERVER_DROP",
    "Clock",
    "ConnectionEvents",
    "Role",
    "State",
    "Timer",
    "TransportClose",
    "WireTimeouts",
    "close_code_valid",
]

#: Largest data message the tester accepts from the peer: Autobahn's biggest echo
#: (9.1.6, 9.2.6) is 16 MiB; the rest is margin. Past it the tester fails with 1009.
DEFAULT_MAX_MESSAGE_SIZE = 64 * 2**20

#: Bytes waiting to be written above which a ping is no longer answered.
PONG_BACKLOG = 2**20

#: Close codes of 1000-2999 a peer may send, as Autobahn|Python 0.10.9 judges them. It
#: predates the registration of 1012-1014 by IANA, so those count as invalid;
#: docs/autobahn.md section 2.6 asks to keep that.
ALLOWED_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011})


def close_code_valid(code: int, *, registry: bool = False) -> bool:
    """Whether the tester accepts ``code`` in a peer's close frame (docs/autobahn.md section 2.6).

    Invalid: below 1000, 5000 and above, and 1000-2999 outside :data:`ALLOWED_CLOSE_CODES`
    (RFC 6455 section 7.4.2: codes "below 1000 are not used", 1000-2999 "reserved for
    definition by this protocol"). ``registry``: judge by the IANA "WebSocket Close Code
    Number Registry" instead, where 1012-1014 are registered too (wsconform's own
    families; Autobahn's cases keep Autobahn's older list).
    """
    if registry:
        return is_valid_wire_code(code)
    if code < 1000 or code >= 5000:
        return False
    return code >= 3000 or code in ALLOWED_CLOSE_CODES


class State(enum.IntEnum):
    """Connection states (RFC 6455 sections 4 and 7)."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


CONNECTING, OPEN, CLOSING, CLOSED = State.CONNECTING, State.OPEN, State.CLOSING, State.CLOSED


class Role(enum.IntEnum):
    """The tester's role: the client (testing servers) or the server (testing clients)."""

    CLIENT = 0
    SERVER = 1


CLIENT, SERVER = Role.CLIENT, Role.SERVER


class Timer(enum.IntEnum):
    """Autobahn|Python's library timers (``openHandshakeTimeout``,
    ``closeHandshakeTimeout``, ``serverConnectionDropTimeout``), kept as deadlines
    (:meth:`TesterProtocol.arm`)."""

    OPEN_HANDSHAKE = 0
    CLOSE_HANDSHAKE = 1
    SERVER_DROP = 2


OPEN_HANDSHAKE, CLOSE_HANDSHAKE, SERVER_DROP = Timer


@dataclasses.dataclass(frozen=True, slots=True)
class WireTimeouts:
    """The library timers (docs/autobahn.md section 4.1); 0 switches one off.

    ``open_handshake``: abort when the handshake has not completed. ``close_handshake``:
    abort when the peer has not answered the tester's close. ``server_connection_drop``:
    abort when the server has not closed TCP after the closing handshake.
    """

    open_handshake: float = 5.0
    close_handshake: float = 1.0
    server_connection_drop: float = 1.0


class ConnectionEvents(Protocol):
    """What the connection tells the case executor."""

    def on_open(self) -> None:
        """The opening handshake completed: the case starts."""

    def on_message(self, payload: bytes, binary: bool) -> None:
        """A data message arrived (never after the tester failed the connection)."""

    def on_pong(self, payload: bytes) -> None:
        """A pong arrived."""

    def on_lost(self) -> None:
        """TCP is gone: the case ends."""


class TransportClose(enum.IntEnum):
    """How the front end must close TCP once the writes handed out are written."""

    #: An orderly close: what the transport buffers still goes out, then FIN.
    CLOSE = 0
    #: An abortive close: the transport's buffer is dropped (RST).
    ABORT = 1


CLOSE, ABORT = TransportClose

#: The clock the deadlines are on: seconds, monotonic (the front end's loop time).
Clock = Callable[[], float]
