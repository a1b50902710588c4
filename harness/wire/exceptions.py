"""Every exception of :mod:`wsconform.harness.wire`.

Hierarchy::

    WireError              the tester could not talk to the target at all
    ├── ConnectError       the TCP (or TLS) connection could not be opened in time
    └── InvalidTargetURL   the target URL is not a ws:// or wss:// URL

A target that accepts TCP but then answers the opening handshake wrongly is *not* an
error here: that is the target failing a case (both verdicts FAILED), recorded in the
observation. These exceptions are harness errors, never verdicts.
"""

from __future__ import annotations

__all__ = ["ConnectError", "InvalidTargetURL", "WireError"]


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
