"""The tester's side of the opening handshake: its request, and its checks of the response.

The request is the protocol core's (RFC 6455 section 4.1), plus the case's
permessage-deflate offers as one ``Sec-WebSocket-Extensions`` value, byte for byte as
Autobahn writes them (:func:`wsconform.cases.deflate.offers_header`). A caller may also
hand over the raw request bytes; the key is then read back from them.

The response is checked as Autobahn's client checks it (docs/autobahn.md sections 9.2
and 6.8): status 101, ``Upgrade``, ``Connection``, ``Sec-WebSocket-Accept``; no
subprotocol that was not offered; no extension that was not offered; at most one
permessage-deflate element, whose window bits, when present, carry a value in 8..15 (a
bare ``client_max_window_bits`` in a response fails the handshake). A failed check is
the *target's* failure: the case never opens and both verdicts are FAILED.

In the server role (testing clients) the tester checks the client's request as RFC 6455
section 4.2.1 lists (:func:`accept_request`) and answers 101 with what the case accepts
of the client's permessage-deflate offers (:class:`~wsconform.cases.deflate.DeflateAccept`,
RFC 7692 section 5.1), or 400 with the reason (:func:`rejection_head`). An
opening-handshake case (``hc``) answers with its scripted response instead, right or
wrong (:mod:`.handshake_script`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from wsconform.cases.deflate import DeflateAccept, DeflateAcceptance, DeflateOffer
from wsconform.cases.handshake import HandshakeResponse
from wsconform.reference.protocol import handshake as core
from wsconform.reference.protocol.exceptions import InvalidHandshake, NegotiationError
from wsconform.reference.protocol.extensions.permessage_deflate import (
    PerMessageDeflate,
    parse_parameters,
)
from wsconform.reference.protocol.headers import Headers, parse_extension_list
from wsconform.reference.protocol.http import Request, RequestParser, Response
from wsconform.reference.protocol.uri import WebSocketURI

from .handshake_script import response_bytes

__all__ = [
    "DEFLATE",
    "SERVER",
    "TESTER_DEFLATE_LEVEL",
    "USER_AGENT",
    "Accepted",
    "HandshakeFailed",
    "Negotiated",
    "RequestSettings",
    "ServerSettings",
    "accept_request",
    "build_request",
    "check_response",
    "client_offers",
    "rejection_head",
    "request_key",
]

DEFLATE = "permessage-deflate"
USER_AGENT = core.USER_AGENT
#: The ``Server`` header of the tester's answers in the server role.
SERVER = core.SERVER

#: Autobahn's defaults when a response leaves the window bits out.
_DEFAULT_WINDOW_BITS = 15

#: The deflate level of what the tester sends. A target must inflate any valid deflate
#: stream, so the level changes no verdict, only the tester's CPU time: level 1 is 2 to
#: 7 times faster than the default 6 on the 12.x data (German prose most), which keeps
#: the tester off the critical path of sections 12 and 13 on a small machine. The
#: target's own compression, the one the report's ratios describe, is unaffected.
TESTER_DEFLATE_LEVEL = 1


class HandshakeFailed(Exception):
    """The target's opening handshake response failed a check; ``reason`` says which.

    Not a harness error: it is recorded in the case (``wasNotCleanReason``) and the case
    gets FAILED verdicts.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return f"opening handshake failed: {self.reason}"


@dataclasses.dataclass(frozen=True, slots=True)
class RequestSettings:
    """What the tester's upgrade request carries besides the mandatory fields.

    ``extensions`` is the whole ``Sec-WebSocket-Extensions`` value (``None`` = no
    extension offered). ``raw_request``, when given, is sent as it is instead of a built
    request (its ``Sec-WebSocket-Key`` is used to check the answer). ``chopsize`` n
    writes the request in n-byte writes (handshake cases).
    """

    origin: str | None = None
    protocols: tuple[str, ...] = ()
    extensions: str | None = None
    user_agent: str | None = USER_AGENT
    headers: tuple[tuple[str, str], ...] = ()
    raw_request: bytes | None = None
    chopsize: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Negotiated:
    """The outcome of a successful handshake: subprotocol and deflate codec, if any."""

    subprotocol: str | None = None
    deflate: PerMessageDeflate | None = None


def build_request(uri: WebSocketURI, key: str, settings: RequestSettings) -> bytes:
    """The upgrade request head, as written on the wire.

    Raises:
        ValueError: a subprotocol or header is not valid in HTTP.
    """
    if settings.raw_request is not None:
        return settings.raw_request
    extra = Headers()
    if settings.extensions is not None:
        extra["Sec-WebSocket-Extensions"] = settings.extensions
    for name, value in settings.headers:
        extra.add(name, value)
    request = core.build_request(
        uri,
        key,
        origin=settings.origin,
        subprotocols=settings.protocols or None,
        user_agent=settings.user_agent,
        additional_headers=extra,
    )
    return request.serialize()


def request_key(raw_request: bytes) -> str | None:
    """The ``Sec-WebSocket-Key`` of a raw request head, if it has exactly one."""
    parser = RequestParser()
    try:
        request = parser.feed(raw_request)
    except InvalidHandshake:
        return None
    if request is None:
        return None
    values = request.headers.get_all("Sec-WebSocket-Key")
    return values[0] if len(values) == 1 else None


def _negotiate_deflate(headers: Headers, offered: bool) -> PerMessageDeflate | None:
    header = headers.get_joined("Sec-WebSocket-Extensions")
    if header is None:
        return None
    elements = parse_extension_list(header)
    if not elements:
        return None
    for name, _params in elements:
        # RFC 6455 section 4.1: an extension "not present in the client's handshake"
        # means the client "MUST _Fail the WebSocket Connection_".
        if name != DEFLATE or not offered:
            raise NegotiationError(f"extension {name} was not offered")
    if len(elements) > 1:
        raise NegotiationError(f"{DEFLATE} accepted more than once: {header}")
    params = parse_parameters(elements[0][1], is_offer=False)
    client_bits = params.client_max_window_bits
    return PerMessageDeflate(
        remote_no_context_takeover=params.server_no_context_takeover,
        local_no_context_takeover=params.client_no_context_takeover,
        remote_max_window_bits=params.server_max_window_bits or _DEFAULT_WINDOW_BITS,
        local_max_window_bits=int(client_bits) if client_bits else _DEFAULT_WINDOW_BITS,
        compress_settings={"level": TESTER_DEFLATE_LEVEL},
    )


def check_response(response: Response, key: str, settings: RequestSettings) -> Negotiated:
    """Check the target's response to the upgrade request; return what it agreed to.

    Raises:
        HandshakeFailed: the response fails a check of the module docstring.
    """
    try:
        core.check_response(response, key)
        protocols: Sequence[str] = settings.protocols
        subprotocol = core.negotiate_client_subprotocol(response.headers, protocols)
        deflate = _negotiate_deflate(response.headers, settings.extensions is not None)
    except (InvalidHandshake, ValueError) as exc:
        raise HandshakeFailed(str(exc) or type(exc).__name__) from exc
    return Negotiated(subprotocol, deflate)


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the tester answers in the server role: the case's permessage-deflate accept
    rule (``None``: no extension is accepted), the subprotocols it agrees to (a
    ``fuzzingserver.json``'s ``protocols``) and the ``Server`` header; ``response``, when
    given, is the handshake case's scripted answer, sent instead."""

    deflate: DeflateAccept | None = None
    server: str | None = SERVER
    response: HandshakeResponse | None = None
    protocols: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Accepted:
    """The tester's 101 answer, as written on the wire, and what it agreed to; ``chopsize``
    n writes it in n-byte writes."""

    response: bytes
    negotiated: Negotiated
    chopsize: int | None = None


def client_offers(headers: Headers) -> list[DeflateOffer]:
    """The client's valid permessage-deflate offers, in order, in Autobahn's model.

    An offer with a parameter RFC 7692 section 7.1 does not define, or a bad value, is
    left out (the server "MUST decline" an offer it cannot accept, section 5).
    """
    header = headers.get_joined("Sec-WebSocket-Extensions")
    if header is None:
        return []
    try:
        elements = parse_extension_list(header)
    except (InvalidHandshake, ValueError):
        return []
    offers: list[DeflateOffer] = []
    for name, params in elements:
        if name != DEFLATE:
            continue
        try:
            parsed = parse_parameters(params, is_offer=True)
        except (InvalidHandshake, ValueError):
            continue
        offers.append(
            DeflateOffer.parsed(
                client_max_window_bits=parsed.client_max_window_bits is not None,
                server_no_context_takeover=parsed.server_no_context_takeover,
                server_max_window_bits=parsed.server_max_window_bits or 0,
            )
        )
    return offers


def _server_deflate(acceptance: DeflateAcceptance) -> PerMessageDeflate:
    """The tester-as-server's codec for an acceptance: "local" is the tester's side."""
    offer = acceptance.offer
    return PerMessageDeflate(
        remote_no_context_takeover=acceptance.request_no_context_takeover,
        local_no_context_takeover=offer.request_no_context_takeover,
        remote_max_window_bits=acceptance.request_max_window_bits or _DEFAULT_WINDOW_BITS,
        local_max_window_bits=offer.request_max_window_bits or _DEFAULT_WINDOW_BITS,
        compress_settings={"level": TESTER_DEFLATE_LEVEL},
    )


def accept_request(request: Request, settings: ServerSettings) -> Accepted:
    """Check a client's upgrade request and build the tester's 101 answer.

    The subprotocol is the first of the client's list that ``settings.protocols`` holds,
    else none (RFC 6455 section 4.2.2: "If the server does not wish to agree to one of
    the suggested subprotocols, it MUST NOT send back a |Sec-WebSocket-Protocol|
    header field"); permessage-deflate is accepted by ``settings.deflate`` only.

    Raises:
        HandshakeFailed: the request fails a check of RFC 6455 section 4.2.1.
    """
    try:
        key = core.check_request(request)
        subprotocol = (
            core.select_server_subprotocol(request.headers, settings.protocols)
            if settings.protocols
            else None
        )
    except (InvalidHandshake, ValueError) as exc:
        raise HandshakeFailed(str(exc) or type(exc).__name__) from exc
    scripted = settings.response
    if scripted is not None:
        # A handshake case answers as written, right or wrong (cases/handshake.py).
        return Accepted(response_bytes(scripted, key), Negotiated(), scripted.chopsize)
    deflate: PerMessageDeflate | None = None
    extensions: str | None = None
    if settings.deflate is not None:
        acceptance = settings.deflate.choose(client_offers(request.headers))
        if acceptance is not None:
            deflate = _server_deflate(acceptance)
            extensions = acceptance.response_value()
    response = core.build_response(
        key, extensions=extensions, subprotocol=subprotocol, server=settings.server
    )
    return Accepted(response.serialize(), Negotiated(subprotocol, deflate))


def rejection_head(status: int, text: str, *, server: str | None = SERVER) -> bytes:
    """A plain-text HTTP error answer (``Connection: close``), as written on the wire."""
    return core.build_rejection(status, text + "\n", server=server).serialize()
