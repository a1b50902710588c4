"""The opening handshake phase of :class:`~.protocol.TesterProtocol`, in either role.

In the client role the tester reads the server's answer to its upgrade request and
checks it (RFC 6455 section 4.1); the answer fails at once when its first bytes cannot
begin an HTTP status line (RFC 9112 section 4), rather than when the opening handshake
timer fires. In the server role it reads the client's request (or is handed one already
parsed) and answers it (RFC 6455 section 4.2.2), or rejects it with 400. The methods
live in :class:`OpeningHandshake`, a base of :class:`~.protocol.TesterProtocol` whose
state they share.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from wsconform.harness.record.observation import Observation
from wsconform.reference.protocol.exceptions import InvalidHandshake
from wsconform.reference.protocol.http import Request, RequestParser, Response, ResponseParser
from wsconform.reference.protocol.mask import BytesLike

from .handshake import (
    HandshakeFailed,
    Negotiated,
    RequestSettings,
    ServerSettings,
    accept_request,
    check_response,
    rejection_head,
)
from .states import CLOSED, CONNECTING, OPEN_HANDSHAKE, SERVER, Role, State, Timer, WireTimeouts

__all__ = ["OpeningHandshake"]

#: Longest response head the tester reads before giving up on the handshake.
_MAX_RESPONSE_HEAD = 65536

#: What an HTTP response starts with (RFC 9112 section 4: ``HTTP-version SP status-code``).
_HTTP = b"HTTP/"
#: Bytes of a response that is not HTTP quoted in the failure.
_QUOTE = 40
#: The start of a status line (RFC 9112 section 4: ``HTTP-version SP status-code``).
_STATUS_LINE = re.compile(rb"HTTP/[0-9]\.[0-9] [0-9]{3}")


class OpeningHandshake:
    """The opening handshake methods of :class:`~.protocol.TesterProtocol` (which
    defines the state and the methods declared here for the type checker)."""

    obs: Observation
    state: State
    role: Role
    settings: RequestSettings
    accept_settings: ServerSettings
    timeouts: WireTimeouts
    _key: str
    _head: bytearray
    _request_parser: RequestParser | None
    _request_bytes: int

    if TYPE_CHECKING:

        def disarm(self, timer: Timer) -> None: ...
        def drop(self, *, abort: bool) -> None: ...
        def receive_data(self, data: bytes) -> None: ...
        def _read(self, data: bytes) -> None: ...
        def _open(self, negotiated: Negotiated) -> None: ...
        def _write(
            self, data: BytesLike, *, sync: bool = False, chopsize: int | None = None
        ) -> None: ...

    def _request_data(self, data: bytes) -> None:
        """Server role: read the client's upgrade request (bounded by the parser's
        limits), then answer it as :meth:`accept` does."""
        if self._request_parser is None:
            self._request_parser = RequestParser()
        parser = self._request_parser
        self._request_bytes += len(data)
        try:
            request = parser.feed(data)
        except InvalidHandshake as exc:  # InvalidMessage, SecurityError
            self._reject(f"invalid HTTP request: {exc}")
            return
        if request is not None:
            self.accept(request, request.raw, parser.leftover)

    def accept(self, request: Request, head: bytes, leftover: bytes = b"") -> None:
        """Server role: answer the client's upgrade request ``request`` (read as ``head``).

        A request that fails RFC 6455 section 4.2.1 gets a 400 answer and the case never
        opens (the client's failure: both verdicts FAILED); otherwise the 101 answer
        goes out, the case starts, and ``leftover`` (frames sent with the request) is
        read.
        """
        self.disarm(OPEN_HANDSHAKE)
        obs = self.obs
        obs.http_request = head.decode("latin-1")
        obs.traffic.preopen_incoming_octets_wire_level += len(head)
        obs.note_rx_octets(head)
        try:
            answer = accept_request(request, self.accept_settings)
        except HandshakeFailed as exc:
            self._reject(exc.reason)
            return
        obs.http_response = answer.response.decode("latin-1")
        obs.handshake_status = obs.http_response.split("\r\n", 1)[0]
        self._write(answer.response, chopsize=answer.chopsize)
        self._open(answer.negotiated)
        if leftover and self.state is not CLOSED:
            self.receive_data(leftover)

    def _reject(self, reason: str) -> None:
        """Server role: answer 400 with ``reason`` and close TCP; the case never opens."""
        self.disarm(OPEN_HANDSHAKE)
        obs = self.obs
        rejection = rejection_head(400, reason)
        obs.http_response = rejection.decode("latin-1")
        self._write(rejection)
        obs.was_not_clean_reason = f"opening handshake failed: {reason}"
        obs.handshake_failure = reason
        self.drop(abort=False)

    def _handshake_data(self, data: bytes) -> None:
        self._head += data
        if not _HTTP.startswith(bytes(self._head[: len(_HTTP)])):
            # Not even the beginning of a status line: no point waiting for the rest.
            quoted = bytes(self._head[:_QUOTE])
            more = "..." if len(self._head) > _QUOTE else ""
            self.obs.http_response = self._head[:_MAX_RESPONSE_HEAD].decode("latin-1")
            self._fail_handshake(f"the answer is not HTTP: {quoted!r}{more}")
            return
        line = self._head.find(b"\r\n")
        if line >= 0 and self.obs.handshake_status is None:
            status = bytes(self._head[:line])
            self.obs.handshake_status = status.decode("latin-1")
            if not _STATUS_LINE.match(status):
                self.obs.http_response = self._head[:_MAX_RESPONSE_HEAD].decode("latin-1")
                self._fail_handshake(f"the answer is not HTTP: status line {status[:_QUOTE]!r}")
                return
        end = self._head.find(b"\r\n\r\n")
        if end < 0:
            if len(self._head) > _MAX_RESPONSE_HEAD:
                self._fail_handshake("the response head is longer than 64 KiB")
            return
        head, leftover = bytes(self._head[: end + 4]), bytes(self._head[end + 4 :])
        self._head = bytearray()
        self.obs.http_response = head.decode("latin-1")
        try:
            response = self._parse_response(head)
        except HandshakeFailed as exc:
            self._fail_handshake(exc.reason)
            return
        try:
            negotiated = check_response(response, self._key, self.settings)
        except HandshakeFailed as exc:
            failure = None
            if response.status_code != 101:
                answered = self.obs.handshake_status
                failure = f"the server answered {answered!r}, not 101 Switching Protocols"
            self._fail_handshake(exc.reason, failure)
            return
        self.disarm(OPEN_HANDSHAKE)
        self._open(negotiated)
        # Frames that came with the response are read after the case has started.
        if leftover and self.state is not CLOSED:
            self.obs.traffic.preopen_incoming_octets_wire_level -= len(leftover)
            self.obs.traffic.incoming_octets_wire_level += len(leftover)
            self._read(leftover)

    @staticmethod
    def _parse_response(head: bytes) -> Response:
        parser = ResponseParser()
        try:
            response = parser.feed(head)
            if response is None:
                # Only a response with a body waits for more: it cannot be a 101.
                status = head.split(b"\r\n", 1)[0].decode("latin-1")
                raise HandshakeFailed(
                    f"the server answered {status!r}, not 101 Switching Protocols"
                )
        except HandshakeFailed:
            raise
        except Exception as exc:  # the core's InvalidHandshake subclasses
            raise HandshakeFailed(f"invalid HTTP response: {exc}") from exc
        return response

    def _fail_handshake(self, reason: str, failure: str | None = None) -> None:
        """Fail the opening handshake; ``failure`` is the one line for
        ``handshake_failure`` when it differs from ``reason``."""
        self.obs.was_not_clean_reason = f"opening handshake failed: {reason}"
        self.obs.handshake_failure = failure or reason
        self.drop(abort=True)

    def _on_open_handshake_timeout(self) -> None:
        if self.state is CONNECTING:
            obs = self.obs
            seconds = self.timeouts.open_handshake
            if self.role is SERVER:
                got = self._request_bytes
                what = "upgrade request"
            else:
                got, what = len(self._head), "answer"
            obs.handshake_failure = (
                f"no {what} within {seconds:g} s"
                if got == 0
                else f"the {what} was incomplete after {seconds:g} s ({got} bytes)"
            )
            obs.was_clean = False
            obs.was_not_clean_reason = "peer did not finish (in time) the opening handshake"
            obs.was_open_handshake_timeout = True
            self.drop(abort=True)
