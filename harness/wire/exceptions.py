"""Every exception of :mod:`wsconform.harness.wire`.

Hierarchy::

    WireError              the tester could not talk to the target at all
    ├── ConnectError       the TCP (or TLS) connection could not be opened in time
    ├── NotWebSocket       the probe connection, before any case, got no WebSocket
    └── InvalidTargetURL   the target URL is not a ws:// or wss:// URL

A target that accepts TCP but then answers the opening handshake of one case wrongly is
*not* an error here: that is the target failing that case (both verdicts FAILED),
recorded in the observation. Only when the probe connection that precedes every run
fails its handshake is the target not a WebSocket server at all (:class:`NotWebSocket`):
nothing could be judged. These exceptions are harness errors, never verdicts.
"""

from __future__ import annotations

__all__ = ["ConnectError", "InvalidTargetURL", "NotWebSocket", "WireError"]


class WireError(Exception):
    """Base class of the wire client's exceptions."""


class ConnectError(WireError):
    """The connection to ``url`` could not be opened; ``reason`` says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot connect to {self.url}: {self.reason}"


class InvalidTargetURL(WireError, ValueError):
    """``url`` cannot be used as a target; ``reason`` says why."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"invalid target URL {self.url!r}: {self.reason}"


class NotWebSocket(WireError):
    """The probe of ``url`` did not complete the opening handshake; ``reason`` says why
    (for an HTTP server that is not a WebSocket server, the status line it answered)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url} did not complete the WebSocket opening handshake: {self.reason}"
