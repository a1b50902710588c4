"""Extension factories: the negotiation side of an extension (RFC 6455 section 9.1).

A factory holds one endpoint's configuration. The client's factory writes an offer into
``Sec-WebSocket-Extensions`` and checks the server's answer; the server's factory reads
an offer and answers it. Both return the :class:`Extension` bound to the connection.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from ..headers import ExtensionParameter
from .base import Extension

__all__ = ["ClientExtensionFactory", "ServerExtensionFactory"]


class ClientExtensionFactory(abc.ABC):
    """Offers an extension and accepts the server's response to the offer."""

    #: Extension token as it appears in ``Sec-WebSocket-Extensions``.
    name: str

    @abc.abstractmethod
    def get_request_params(self) -> list[ExtensionParameter]:
        """The parameters of the offer, in order."""

    @abc.abstractmethod
    def process_response_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> Extension:
        """Check the server's response to the offer and build the extension.

        ``accepted_extensions`` are those already accepted from the same response, in
        order, so that a factory can refuse to be negotiated twice.

        Raises:
            NegotiationError: the response is not acceptable; the client must fail the
                connection (RFC 6455 section 9.1, RFC 7692 section 5).
        """


class ServerExtensionFactory(abc.ABC):
    """Answers a client's offer of an extension."""

    #: Extension token as it appears in ``Sec-WebSocket-Extensions``.
    name: str

    @abc.abstractmethod
    def process_request_params(
        self, params: Sequence[ExtensionParameter], accepted_extensions: Sequence[Extension]
    ) -> tuple[list[ExtensionParameter], Extension]:
        """Accept one offer: return the response parameters and the extension.

        Raises:
            NegotiationError: the offer is declined (the server goes on with the next
                offer, RFC 7692 section 5: "A server MUST decline an extension
                negotiation offer for this extension if ...").
        """
