"""Every exception of :mod:`wsconform.reference`.

INTERFACE FILE (extend it, do not rename): both the sans-I/O core and the asyncio / sync
front ends raise only these.

Hierarchy::

    WebSocketError
    ├── ConnectionClosed            the connection is closed (front ends)
    │   ├── ConnectionClosedOK      ... with 1000 or 1001
    │   └── ConnectionClosedError   ... any other way, 1006 when TCP was lost
    ├── InvalidHandshake            the opening handshake failed (section 4)
    │   ├── InvalidMessage          malformed HTTP request or response
    │   ├── SecurityError           a header limit was exceeded
    │   ├── InvalidHeader           a header is missing or wrong
    │   │   ├── InvalidHeaderFormat     ... cannot be parsed
    │   │   ├── InvalidHeaderValue      ... parses but has a wrong value
    │   │   ├── InvalidUpgrade          ... Upgrade / Connection
    │   │   ├── InvalidOrigin           ... Origin not allowed
    │   │   └── InvalidVersion          ... Sec-WebSocket-Version is not 13
    │   ├── InvalidStatus           the server answered with another status than 101
    │   └── NegotiationError        extension or subprotocol negotiation failed
    │       ├── DuplicateParameter
    │       ├── InvalidParameterName
    │       └── InvalidParameterValue
    ├── FailConnection              the peer broke the protocol: fail with ``code``
    │   ├── ProtocolError           1002
    │   ├── InvalidPayloadData      1007 (invalid UTF-8 in a text message or close reason)
    │   ├── PayloadTooBig           1009
    │   ├── MissingExtension        1010 (client only)
    │   └── InternalError           1011
    ├── InvalidState                an operation is not allowed in this state
    ├── ConcurrencyError            two coroutines / threads read at the same time
    ├── InvalidURI                  not a ws:// or wss:// URI (RFC 6455 section 3)
    └── MultipleValuesError         ``headers[name]`` when the header appears twice
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ConcurrencyError",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DuplicateParameter",
    "FailConnection",
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
    "SecurityError",
    "WebSocketError",
]


class WebSocketError(Exception):
    """Base class of every exception raised by wsconform.reference."""


# --- closing -------------------------------------------------------------------------


class ConnectionClosed(WebSocketError):
    """The connection is closed; ``rcvd`` / ``sent`` are the close frames, if any.

    ``rcvd`` and ``sent`` are :class:`wsconform.reference.protocol.close.Close` objects
    (typed ``Any`` here to keep this module free of imports).
    """

    def __init__(self, rcvd: Any | None, sent: Any | None, rcvd_then_sent: bool | None = None):
        super().__init__(rcvd, sent, rcvd_then_sent)
        self.rcvd = rcvd
        self.sent = sent
        self.rcvd_then_sent = rcvd_then_sent

    @property
    def code(self) -> int:
        """The close code received, 1005 for an empty close frame, 1006 for none."""
        return 1006 if self.rcvd is None else int(self.rcvd.code)

    @property
    def reason(self) -> str:
        return "" if self.rcvd is None else str(self.rcvd.reason)

    def __str__(self) -> str:
        if self.rcvd is None and self.sent is None:
            return "no close frame received or sent"
        if self.rcvd is None:
            return f"sent {self.sent}; no close frame received"
        if self.sent is None:
            return f"received {self.rcvd}; no close frame sent"
        order = "then" if self.rcvd_then_sent else "and"
        return f"received {self.rcvd}; {order} sent {self.sent}"


class ConnectionClosedOK(ConnectionClosed):
    """The connection closed normally (1000 or 1001 both ways)."""


class ConnectionClosedError(ConnectionClosed):
    """The connection closed abnormally or with an error code."""


# --- opening handshake ---------------------------------------------------------------


class InvalidHandshake(WebSocketError):
    """The opening handshake failed."""


class InvalidMessage(InvalidHandshake):
    """The HTTP request or response could not be parsed."""


class SecurityError(InvalidHandshake):
    """The HTTP head exceeded a limit (line length, header count, total size)."""


class InvalidHeader(InvalidHandshake):
    """A header is missing, malformed or has a wrong value."""

    def __init__(self, name: str, value: str | None = None) -> None:
        super().__init__(name, value)
        self.name = name
        self.value = value

    def __str__(self) -> str:
        if self.value is None:
            return f"missing {self.name} header"
        if self.value == "":
            return f"empty {self.name} header"
        return f"invalid {self.name} header: {self.value}"


class InvalidHeaderFormat(InvalidHeader):
    """A header could not be parsed."""

    def __init__(self, name: str, error: str, header: str, pos: int) -> None:
        super().__init__(name, f"{error} at {pos} in {header}")


class InvalidHeaderValue(InvalidHeader):
    """A header parses but its value is not acceptable."""


class InvalidUpgrade(InvalidHeader):
    """The Upgrade or Connection header is wrong."""


class InvalidOrigin(InvalidHeader):
    """The Origin header is not allowed."""

    def __init__(self, origin: str | None) -> None:
        super().__init__("Origin", origin)


class InvalidVersion(InvalidHeader):
    """Sec-WebSocket-Version is not 13: the server answers 426."""


class InvalidStatus(InvalidHandshake):
    """The server rejected the handshake with a status other than 101."""

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.response = response

    def __str__(self) -> str:
        return f"server rejected WebSocket connection: HTTP {self.response.status_code}"


class NegotiationError(InvalidHandshake):
    """Extension or subprotocol negotiation failed."""


class DuplicateParameter(NegotiationError):
    """An extension parameter appears twice."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"duplicate parameter: {self.name}"


class InvalidParameterName(NegotiationError):
    """An extension parameter is not known."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"invalid parameter name: {self.name}"


class InvalidParameterValue(NegotiationError):
    """An extension parameter has a wrong value."""

    def __init__(self, name: str, value: str | None) -> None:
        super().__init__(name, value)
        self.name = name
        self.value = value

    def __str__(self) -> str:
        if self.value is None:
            return f"missing value for parameter {self.name}"
        return f"invalid value for parameter {self.name}: {self.value}"


# --- failing the connection (RFC 6455 section 7.1.7) ----------------------------------


class FailConnection(WebSocketError):
    """The peer broke the protocol; the connection must be failed with ``code``."""

    code: ClassVar[int] = 1002


class ProtocolError(FailConnection):
    """1002: a protocol error (section 7.4.1)."""

    code = 1002


class InvalidPayloadData(FailConnection):
    """1007: data inconsistent with the message type, such as invalid UTF-8 in text."""

    code = 1007


class PayloadTooBig(FailConnection):
    """1009: a message is too big to process."""

    code = 1009


class MissingExtension(FailConnection):
    """1010: the client expected the server to negotiate an extension."""

    code = 1010


class InternalError(FailConnection):
    """1011: an unexpected condition prevented fulfilling the request."""

    code = 1011


# --- misuse --------------------------------------------------------------------------


class InvalidState(WebSocketError):
    """An operation is not allowed in the connection's current state."""


class ConcurrencyError(WebSocketError, RuntimeError):
    """Two coroutines or threads called ``recv`` at the same time."""


class InvalidURI(WebSocketError, ValueError):
    """A string is not a valid ``ws://`` or ``wss://`` URI (RFC 6455 section 3)."""

    def __init__(self, uri: str, why: str) -> None:
        super().__init__(uri, why)
        self.uri = uri
        self.why = why

    def __str__(self) -> str:
        return f"{self.uri} isn't a valid WebSocket URI: {self.why}"


class MultipleValuesError(WebSocketError, LookupError):
    """``headers[name]`` was asked for a header that appears more than once.

    Use ``Headers.get_all(name)`` where several values are legitimate.
    """

    def __init__(self, name: str, count: int) -> None:
        super().__init__(name, count)
        self.name = name
        self.count = count

    def __str__(self) -> str:
        return f"{self.name} header appears {self.count} times"
