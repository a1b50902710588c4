"""Close frames: status codes and reasons (RFC 6455 sections 5.5.1, 7.4; IANA registry).

Section 5.5.1: "If there is a body, the first two bytes of the body MUST be a 2-byte
unsigned integer (in network byte order) representing a status code with value /code/
defined in Section 7.4. Following the 2-byte integer, the body MAY contain UTF-8-encoded
data with value /reason/".

Which codes may appear on the wire (section 7.4 and the IANA "WebSocket Close Code
Number Registry"):

* 0-999: "not used". Invalid.
* 1000-2999: "reserved for definition by this protocol, its future revisions, and
  extensions specified in a permanent and readily available public specification".
  Registered and sendable: 1000-1003 and 1007-1014. 1004 is "Reserved"; 1005, 1006 and
  1015 are "a reserved value and MUST NOT be set as a status code in a Close control
  frame by an endpoint". The rest of the range is unassigned, so invalid on the wire.
* 3000-3999: "reserved for use by libraries, frameworks, and applications", registered
  with IANA. Valid.
* 4000-4999: "reserved for private use". Valid.
* 5000 and above: outside every range. Invalid.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from typing import Final

from .exceptions import InvalidPayloadData, ProtocolError
from .mask import BytesLike

__all__ = [
    "ABNORMAL_CLOSURE",
    "BAD_GATEWAY",
    "GOING_AWAY",
    "INTERNAL_ERROR",
    "INVALID_DATA",
    "MANDATORY_EXTENSION",
    "MAX_REASON_BYTES",
    "MESSAGE_TOO_BIG",
    "NORMAL_CLOSURE",
    "NO_STATUS_RCVD",
    "POLICY_VIOLATION",
    "PROTOCOL_ERROR",
    "SERVICE_RESTART",
    "TLS_HANDSHAKE",
    "TRY_AGAIN_LATER",
    "UNSUPPORTED_DATA",
    "Close",
    "CloseCode",
    "is_valid_wire_code",
    "label",
]


class CloseCode(enum.IntEnum):
    """Close codes of RFC 6455 section 7.4.1 and the IANA registry."""

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015


NORMAL_CLOSURE = CloseCode.NORMAL_CLOSURE
GOING_AWAY = CloseCode.GOING_AWAY
PROTOCOL_ERROR = CloseCode.PROTOCOL_ERROR
UNSUPPORTED_DATA = CloseCode.UNSUPPORTED_DATA
NO_STATUS_RCVD = CloseCode.NO_STATUS_RCVD
ABNORMAL_CLOSURE = CloseCode.ABNORMAL_CLOSURE
INVALID_DATA = CloseCode.INVALID_DATA
POLICY_VIOLATION = CloseCode.POLICY_VIOLATION
MESSAGE_TOO_BIG = CloseCode.MESSAGE_TOO_BIG
MANDATORY_EXTENSION = CloseCode.MANDATORY_EXTENSION
INTERNAL_ERROR = CloseCode.INTERNAL_ERROR
SERVICE_RESTART = CloseCode.SERVICE_RESTART
TRY_AGAIN_LATER = CloseCode.TRY_AGAIN_LATER
BAD_GATEWAY = CloseCode.BAD_GATEWAY
TLS_HANDSHAKE = CloseCode.TLS_HANDSHAKE

# Registered codes an endpoint may send (IANA registry; 1004-1006 and 1015 excluded).
_SENDABLE: Final = frozenset(range(1000, 1004)) | frozenset(range(1007, 1015))

_LABELS: Final[dict[int, str]] = {
    1000: "OK",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1004: "reserved",
    1005: "no status received [internal]",
    1006: "abnormal closure [internal]",
    1007: "invalid frame payload data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure [internal]",
}

_CODE = struct.Struct("!H")

#: Section 5.5: control payloads are at most 125 bytes; 2 of them hold the code.
MAX_REASON_BYTES: Final = 123


def is_valid_wire_code(code: int) -> bool:
    """Whether ``code`` may appear in a close frame (see the module docstring)."""
    return code in _SENDABLE or 3000 <= code <= 4999


def label(code: int) -> str:
    """A short human name for ``code``, for logs and reports."""
    if code in _LABELS:
        return _LABELS[code]
    if 3000 <= code <= 3999:
        return "registered"
    if 4000 <= code <= 4999:
        return "private use"
    return "unknown"


@dataclasses.dataclass(frozen=True, slots=True)
class Close:
    """The body of a close frame; ``Close(1005, "")`` stands for an empty body."""

    code: int
    reason: str

    @classmethod
    def parse(cls, data: BytesLike) -> Close:
        """Parse the payload of a close frame.

        Raises:
            ProtocolError: a 1-byte body, or a code that is not valid on the wire.
            InvalidPayloadData: the reason is not valid UTF-8 (section 5.5.1: "the data
                is not guaranteed to be human readable" but it is "UTF-8-encoded").
        """
        if len(data) == 0:
            # Section 7.1.5: "If this Close control frame contains no status code,
            # _The WebSocket Connection Close Code_ is considered to be 1005."
            return cls(NO_STATUS_RCVD, "")
        if len(data) == 1:
            raise ProtocolError("close frame with a 1-byte body")
        (code,) = _CODE.unpack_from(data)
        if not is_valid_wire_code(code):
            raise ProtocolError(f"invalid close code {code}")
        try:
            reason = bytes(data[2:]).decode()
        except UnicodeDecodeError as exc:
            raise InvalidPayloadData(f"invalid UTF-8 in the close reason: {exc}") from exc
        return cls(code, reason)

    def serialize(self) -> bytes:
        """Return the payload of a close frame; empty for code 1005."""
        if self.code == NO_STATUS_RCVD and not self.reason:
            return b""
        return _CODE.pack(self.code) + self.reason.encode()

    def check(self) -> None:
        """Check that this close can be sent.

        Raises:
            ProtocolError: the code may not be sent (1005 only stands for an empty body,
                without a reason), or the reason is longer than 123 bytes in UTF-8.
        """
        if self.code == NO_STATUS_RCVD:
            if self.reason:
                raise ProtocolError("a close without a code cannot have a reason")
            return
        if not is_valid_wire_code(self.code):
            raise ProtocolError(f"close code {self.code} cannot be sent")
        if len(self.reason.encode()) > MAX_REASON_BYTES:
            raise ProtocolError(f"close reason longer than {MAX_REASON_BYTES} bytes")

    def __str__(self) -> str:
        text = f"{self.code} ({label(self.code)})"
        return f"{text} {self.reason}" if self.reason else text
