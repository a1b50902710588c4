"""permessage-deflate offers and accept rules of sections 12 and 13, as plain data.

The tester of Autobahn 0.10.9 offers and accepts permessage-deflate (RFC 7692) with a
model of four fields. These classes reproduce it exactly: the header strings they build
are the ones Autobahn sends, byte for byte (docs/autobahn.md section 6.8), and the accept rule
walks a client's offers in the same order.

Nothing here compresses; the runner hands the negotiated parameters to the protocol
core's permessage-deflate extension.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .exceptions import InvalidCase

__all__ = [
    "EXTENSION_NAME",
    "DeflateAccept",
    "DeflateAcceptance",
    "DeflateOffer",
    "DeflateSettings",
    "offers_header",
]

EXTENSION_NAME = "permessage-deflate"

#: RFC 7692 section 7.1.2.1: "values 8 through 15" for the window bits parameters.
_WINDOW_BITS = range(8, 16)


def _check_bits(where: str, bits: int) -> None:
    if bits != 0 and bits not in _WINDOW_BITS:
        raise InvalidCase(where, f"max window bits must be 0 (none) or 8..15, not {bits}")


@dataclasses.dataclass(frozen=True, slots=True)
class DeflateOffer:
    """One permessage-deflate offer, in Autobahn 0.10.9's four-field model.

    ``accept_*`` say what the offering side accepts from the other side (Autobahn always
    offers both); ``request_*`` ask the other side to limit *its* compressor. In server
    mode the runner parses a client's offer into this shape too (see :meth:`parsed`).
    """

    request_no_context_takeover: bool = False
    request_max_window_bits: int = 0
    accept_no_context_takeover: bool = True
    accept_max_window_bits: bool = True

    def __post_init__(self) -> None:
        _check_bits("DeflateOffer", self.request_max_window_bits)

    def header_value(self) -> str:
        """The offer as one element of ``Sec-WebSocket-Extensions``, in Autobahn's order."""
        parts = [EXTENSION_NAME]
        if self.accept_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.accept_max_window_bits:
            # A bare parameter: "the client supports the max window bits extension
            # parameter" (RFC 7692 section 7.1.2.2), with no value.
            parts.append("client_max_window_bits")
        if self.request_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.request_max_window_bits != 0:
            parts.append(f"server_max_window_bits={self.request_max_window_bits}")
        return "; ".join(parts)

    def label(self) -> str:
        """``(requestNoContextTakeover, requestMaxWindowBits)`` as Python prints the tuple."""
        return f"({self.request_no_context_takeover}, {self.request_max_window_bits})"

    @classmethod
    def parsed(
        cls,
        *,
        client_max_window_bits: bool,
        server_no_context_takeover: bool,
        server_max_window_bits: int,
    ) -> DeflateOffer:
        """Build the offer the tester-as-server sees from a client's parameters.

        Autobahn's parser sets ``accept_no_context_takeover`` to true whether or not the
        client sent ``client_no_context_takeover`` (docs/autobahn.md section 6.8); this
        keeps that quirk.
        """
        return cls(
            request_no_context_takeover=server_no_context_takeover,
            request_max_window_bits=server_max_window_bits,
            accept_no_context_takeover=True,
            accept_max_window_bits=client_max_window_bits,
        )


def offers_header(offers: Sequence[DeflateOffer]) -> str:
    """The whole ``Sec-WebSocket-Extensions`` request value: offers joined by ``, ``."""
    return ", ".join(offer.header_value() for offer in offers)


@dataclasses.dataclass(frozen=True, slots=True)
class DeflateAcceptance:
    """What the tester-as-server accepted: the client's offer and its own requests."""

    offer: DeflateOffer
    request_no_context_takeover: bool
    request_max_window_bits: int

    def response_value(self) -> str:
        """The ``Sec-WebSocket-Extensions`` response value, in Autobahn's order."""
        parts = [EXTENSION_NAME]
        if self.offer.request_no_context_takeover:
            parts.append("server_no_context_takeover")
        if self.offer.request_max_window_bits != 0:
            parts.append(f"server_max_window_bits={self.offer.request_max_window_bits}")
        if self.request_no_context_takeover:
            parts.append("client_no_context_takeover")
        if self.request_max_window_bits != 0:
            parts.append(f"client_max_window_bits={self.request_max_window_bits}")
        return "; ".join(parts)


@dataclasses.dataclass(frozen=True, slots=True)
class DeflateAccept:
    """A server-mode accept rule: a list of (requestNoContextTakeover, requestMaxWindowBits).

    Each entry is tried in turn; for an entry, the client's offers are walked in order and
    the first one that qualifies is accepted. An entry that requests no context takeover
    needs an offer that accepts it; an entry that requests window bits needs an offer that
    carried ``client_max_window_bits``. ``[(True, 9), (True, 0), (False, 0)]`` is thus
    Autobahn's accept7 (accept5, else accept2, else accept1).
    """

    params: tuple[tuple[bool, int], ...] = ((False, 0),)

    def __post_init__(self) -> None:
        if not self.params:
            raise InvalidCase("DeflateAccept", "needs at least one entry")
        for _no_context, bits in self.params:
            _check_bits("DeflateAccept", bits)

    def choose(self, offers: Sequence[DeflateOffer]) -> DeflateAcceptance | None:
        """The acceptance for a client's offers, or ``None`` (deflate not used)."""
        for no_context, bits in self.params:
            for offer in offers:
                if no_context and not offer.accept_no_context_takeover:
                    continue
                if bits != 0 and not offer.accept_max_window_bits:
                    continue
                return DeflateAcceptance(offer, no_context, bits)
        return None

    def label(self) -> str:
        """The tuple list as Python prints it, e.g. ``[(True, 9), (True, 0)]``."""
        return "[" + ", ".join(f"({nct}, {bits})" for nct, bits in self.params) + "]"


@dataclasses.dataclass(frozen=True, slots=True)
class DeflateSettings:
    """The deflate configuration of one 12.x/13.x case, for both tester roles.

    Client mode (testing servers): send :func:`offers_header` of ``offers`` and accept
    any single permessage-deflate response whose window bits values, when present, are
    in 8..15 (a bare ``client_max_window_bits`` in a response fails the handshake).
    Server mode (testing clients): answer with ``accept.choose(parsed client offers)``.
    """

    offers: tuple[DeflateOffer, ...] = (DeflateOffer(),)
    accept: DeflateAccept = DeflateAccept()

    def __post_init__(self) -> None:
        if not self.offers:
            raise InvalidCase("DeflateSettings", "needs at least one offer")

    def offers_label(self) -> str:
        """The offer tuples as Python prints them, e.g. ``[(False, 0)]``."""
        return "[" + ", ".join(offer.label() for offer in self.offers) + "]"
