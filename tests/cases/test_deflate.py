"""permessage-deflate offers and accept rules (docs/autobahn.md section 6.8)."""

from __future__ import annotations

import pytest

from wsconform.cases import deflate
from wsconform.cases.deflate import (
    DeflateAccept,
    DeflateOffer,
    DeflateSettings,
    offers_header,
)
from wsconform.cases.exceptions import InvalidCase

BASE = "permessage-deflate; client_no_context_takeover; client_max_window_bits"


def test_exports() -> None:
    for name in deflate.__all__:
        assert hasattr(deflate, name), name


@pytest.mark.parametrize(
    ("nct", "bits", "header"),
    [
        (False, 0, BASE),
        (True, 0, BASE + "; server_no_context_takeover"),
        (False, 9, BASE + "; server_max_window_bits=9"),
        (False, 15, BASE + "; server_max_window_bits=15"),
        (True, 9, BASE + "; server_no_context_takeover; server_max_window_bits=9"),
        (True, 15, BASE + "; server_no_context_takeover; server_max_window_bits=15"),
    ],
)
def test_offer_headers(nct: bool, bits: int, header: str) -> None:
    assert DeflateOffer(nct, bits).header_value() == header


def test_13_7_header_and_labels() -> None:
    offers = (DeflateOffer(True, 9), DeflateOffer(True, 0), DeflateOffer())
    assert offers_header(offers) == (
        f"{BASE}; server_no_context_takeover; server_max_window_bits=9, "
        f"{BASE}; server_no_context_takeover, {BASE}"
    )
    settings = DeflateSettings(offers, DeflateAccept(((True, 9), (True, 0), (False, 0))))
    assert settings.offers_label() == "[(True, 9), (True, 0), (False, 0)]"
    assert settings.accept.label() == "[(True, 9), (True, 0), (False, 0)]"


def test_bad_window_bits() -> None:
    with pytest.raises(InvalidCase):
        DeflateOffer(False, 7)
    with pytest.raises(InvalidCase):
        DeflateAccept(((False, 16),))
    with pytest.raises(InvalidCase):
        DeflateAccept(())
    with pytest.raises(InvalidCase):
        DeflateSettings(())


def test_parsed_offer_defaults_no_context_takeover_to_true() -> None:
    offer = DeflateOffer.parsed(
        client_max_window_bits=False, server_no_context_takeover=False, server_max_window_bits=0
    )
    assert offer.accept_no_context_takeover
    assert not offer.accept_max_window_bits


def test_accept_rules() -> None:
    plain = DeflateOffer.parsed(
        client_max_window_bits=False, server_no_context_takeover=False, server_max_window_bits=0
    )
    with_bits = DeflateOffer.parsed(
        client_max_window_bits=True, server_no_context_takeover=True, server_max_window_bits=10
    )
    accept1 = DeflateAccept(((False, 0),))
    accept2 = DeflateAccept(((True, 0),))
    accept3 = DeflateAccept(((False, 9),))
    accept5 = DeflateAccept(((True, 9),))
    accept7 = DeflateAccept(((True, 9), (True, 0), (False, 0)))

    chosen = accept1.choose([plain])
    assert chosen is not None
    assert chosen.response_value() == "permessage-deflate"
    chosen = accept2.choose([plain])
    assert chosen is not None
    assert chosen.response_value() == "permessage-deflate; client_no_context_takeover"
    # accept3-6 need client_max_window_bits: a client without it gets no deflate.
    assert accept3.choose([plain]) is None
    assert accept5.choose([plain]) is None
    chosen = accept3.choose([plain, with_bits])
    assert chosen is not None
    assert chosen.offer is with_bits
    assert chosen.response_value() == (
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"
        "; client_max_window_bits=9"
    )
    # accept7 falls back to accept2 for a client without the window bits parameter.
    chosen = accept7.choose([plain])
    assert chosen is not None
    assert (chosen.request_no_context_takeover, chosen.request_max_window_bits) == (True, 0)
    chosen = accept7.choose([plain, with_bits])
    assert chosen is not None
    assert (chosen.offer, chosen.request_max_window_bits) == (with_bits, 9)
    assert accept1.choose([]) is None
