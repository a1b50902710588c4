"""The runner's side of the opening-handshake cases (:mod:`wsconform.cases.handshake`).

The executor asks here for what differs from an Autobahn case: the request a server
case sends (:func:`request_settings`: its raw bytes, what it offers, its write
pattern) and the answer a client case gives (:func:`server_settings`). Everything else
(the connection, its timers, the steps once open) is the ordinary case machinery; the
verdicts come from :func:`wsconform.harness.handshake_verdicts.judge_case`.
"""

from __future__ import annotations

from wsconform.cases.handshake import ClientHandshakeCase, ServerHandshakeCase
from wsconform.cases.model import Case
from wsconform.harness.wire.handshake import RequestSettings, ServerSettings
from wsconform.harness.wire.handshake_script import (
    offered_extensions,
    offered_subprotocols,
    request_bytes,
)
from wsconform.reference.protocol.handshake import generate_key
from wsconform.reference.protocol.uri import WebSocketURI

__all__ = ["request_settings", "server_settings"]


def request_settings(case: Case, uri: WebSocketURI) -> RequestSettings | None:
    """The request of a server handshake case (``None`` for any other case).

    The raw request carries a fresh key where the case says :data:`KEY`; the tester
    reads it back to check the answer (a request without exactly one key line is
    checked against a key of its own, which no 101 can match). The offered subprotocols
    and extensions are what the answer is checked against.
    """
    if not isinstance(case, ServerHandshakeCase):
        return None
    request = case.request
    return RequestSettings(
        protocols=offered_subprotocols(request),
        extensions=offered_extensions(request),
        raw_request=request_bytes(request, uri, generate_key()),
        chopsize=request.chopsize,
    )


def server_settings(case: Case, default: ServerSettings) -> ServerSettings:
    """The answer of a client handshake case, or ``default`` for any other case."""
    if not isinstance(case, ClientHandshakeCase):
        return default
    return ServerSettings(None, response=case.response)
