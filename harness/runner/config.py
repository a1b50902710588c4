"""What a run needs to know besides the cases: the target, the timers, the limits.

All times are seconds. The library timers default to Autobahn's (docs/autobahn.md
section 4.1): opening handshake 5 s, closing handshake 1 s, server TCP drop 1 s. The
case timers (killAfter, closeAfter, continueLater) are part of each case.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Callable

from wsconform.harness.wire.client import DEFAULT_CONNECT_TIMEOUT, parse_target, tls_context
from wsconform.harness.wire.connection import DEFAULT_MAX_MESSAGE_SIZE, WireTimeouts
from wsconform.harness.wire.handshake import USER_AGENT, RequestSettings
from wsconform.reference.protocol.uri import WebSocketURI

__all__ = ["RunOptions", "Target", "Timeouts"]


@dataclasses.dataclass(frozen=True, slots=True)
class Timeouts:
    """Every timer the runner itself uses; 0 switches a library timer off.

    * ``open_handshake``, ``close_handshake``, ``server_connection_drop``: the library
      timers of docs/autobahn.md section 4.1 (see :class:`~wsconform.harness.wire.WireTimeouts`).
    * ``connect``: to open TCP (and TLS); a target that misses it is unreachable, a
      harness error.
    * ``case_slack``: a case that is still connected this long after its last timer
      should have ended it (Autobahn would wait forever, docs/autobahn.md section 4.2: a server that
      starts a close and never closes TCP) is dropped by the tester.
    """

    open_handshake: float = 5.0
    close_handshake: float = 1.0
    server_connection_drop: float = 1.0
    connect: float = DEFAULT_CONNECT_TIMEOUT
    case_slack: float = 10.0

    def wire(self) -> WireTimeouts:
        """The library timers, for the connection."""
        return WireTimeouts(self.open_handshake, self.close_handshake, self.server_connection_drop)


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    """A server under test, reached at ``url`` (``ws://`` or ``wss://``).

    ``verify_tls``/``cafile``/``server_hostname`` configure TLS for ``wss://``;
    ``origin``, ``protocols`` and ``headers`` go into every upgrade request;
    ``raw_request``, when given, replaces the built request entirely.

    Raises:
        InvalidTargetURL: (constructor) ``url`` is not a usable WebSocket URL.
    """

    url: str
    verify_tls: bool = True
    cafile: str | None = None
    server_hostname: str | None = None
    origin: str | None = None
    protocols: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    user_agent: str | None = USER_AGENT
    raw_request: bytes | None = None

    def __post_init__(self) -> None:
        parse_target(self.url)

    @property
    def uri(self) -> WebSocketURI:
        """The parsed URL."""
        return parse_target(self.url)

    def ssl_context(self) -> ssl.SSLContext | None:
        """A TLS context for ``wss://`` targets (``None`` for ``ws://``)."""
        if not self.uri.secure:
            return None
        return tls_context(verify=self.verify_tls, cafile=self.cafile)

    def request_settings(self, extensions: str | None = None) -> RequestSettings:
        """The upgrade request settings, with a case's extension offers."""
        return RequestSettings(
            origin=self.origin,
            protocols=self.protocols,
            extensions=extensions,
            user_agent=self.user_agent,
            headers=self.headers,
            raw_request=self.raw_request,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class RunOptions:
    """How cases run: timers, the largest message accepted, the 12.x test data.

    ``testdata`` returns the content of a test data file by name (12.x/13.x); without
    it those cases end with a harness error. ``strict``: apply the strict profile's
    rules to the verdicts (:mod:`wsconform.harness.strict`).
    """

    timeouts: Timeouts = Timeouts()
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    testdata: Callable[[str], bytes] | None = None
    strict: bool = False
