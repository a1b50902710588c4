"""wsconform's own case families (ids of :mod:`wsconform.cases.ids`), beyond Autobahn's.

Each family is a module that builds its cases from tables and exports ``CASES`` (and
``SUBSECTION_TITLES`` when its subsections have titles); this package joins them for
the catalog (``--catalog wsconform``, docs/catalogs.md).
"""

from __future__ import annotations

from wsconform.cases.model import Case

from . import close, corpus, framing, handshake_client, handshake_server

__all__ = ["CASES", "SUBSECTION_TITLES"]

#: Every case of every family, in no particular order (the catalog sorts them).
CASES: tuple[Case, ...] = (
    *handshake_server.CASES,
    *handshake_client.CASES,
    *framing.CASES,
    *close.CASES,
    *corpus.CASES,
)

#: Subsection titles of the families, keyed like ``"hs.1"``.
SUBSECTION_TITLES: dict[str, str] = {
    **handshake_server.SUBSECTION_TITLES,
    **handshake_client.SUBSECTION_TITLES,
    **framing.SUBSECTION_TITLES,
    **close.SUBSECTION_TITLES,
}
