"""Section 13, WebSocket compression with different parameters (permessage-deflate).

The message loop of section 12 on ``data1.json`` (sent as text), with seven offer and
accept sets (docs/autobahn.md section 6.8). Offers are what the tester sends when
testing a server; the accept rule is how it answers a client when testing clients. The
tuples are (requestNoContextTakeover, requestMaxWindowBits), printed in the subsection
titles exactly as Autobahn prints them.
"""

from __future__ import annotations

from .deflate import DeflateAccept, DeflateOffer, DeflateSettings
from .model import Case
from .s12_deflate import MSG_SIZES, deflate_case
from .testdata import by_key

__all__ = ["CASES", "PARAMETER_SETS", "SUBSECTION_TITLES"]

_PARAMS = "(requestNoContextTakeover, requestMaxWindowBits)"


def _set(
    offers: tuple[tuple[bool, int], ...], accept: tuple[tuple[bool, int], ...]
) -> DeflateSettings:
    return DeflateSettings(
        tuple(DeflateOffer(no_context, bits) for no_context, bits in offers),
        DeflateAccept(accept),
    )


#: 13.1-13.7: the client offers and the server accept rule of each subsection.
PARAMETER_SETS: tuple[DeflateSettings, ...] = (
    _set(((False, 0),), ((False, 0),)),
    _set(((True, 0),), ((True, 0),)),
    _set(((False, 9),), ((False, 9),)),
    _set(((False, 15),), ((False, 15),)),
    _set(((True, 9),), ((True, 9),)),
    _set(((True, 15),), ((True, 15),)),
    _set(((True, 9), (True, 0), (False, 0)), ((True, 9), (True, 0), (False, 0))),
)

_DATA = by_key("json_data1")

SUBSECTION_TITLES: dict[str, str] = {
    f"13.{j}": (
        f"{_DATA.title} - client offers {_PARAMS}: {settings.offers_label()}"
        f" / server accept {_PARAMS}: {settings.accept.label()}"
    )
    for j, settings in enumerate(PARAMETER_SETS, start=1)
}

CASES: tuple[Case, ...] = tuple(
    deflate_case(f"13.{j}.{k}", _DATA, row, settings)
    for j, settings in enumerate(PARAMETER_SETS, start=1)
    for k, row in enumerate(MSG_SIZES, start=1)
)
