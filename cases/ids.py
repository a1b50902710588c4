"""Case ids: Autobahn's dotted numbers and the families wsconform adds.

Autobahn's ids are two or three dotted positive numbers (``2.9``, ``6.4.1``); the
catalog sorts them as number tuples (docs/autobahn.md section 1.2). wsconform's own
cases must never collide with an id Autobahn has or may add, so they start with a
lowercase family prefix that no Autobahn id can start with (docs/catalogs.md):

* ``hs.N.M``: the opening handshake of a server (the tester sends the request);
* ``hc.N.M``: the opening handshake of a client (the tester answers it);
* ``fr.N.M``: framing Autobahn never tests;
* ``cl.N.M``: closing handshakes and close codes Autobahn never tests;
* ``corpus.HEX``: a shrunk fuzz finding, named by 8-16 hex digits of its digest.

Every family sorts after all of Autobahn's sections, in the order above, so Autobahn's
run indices (1-517) stay what they are whatever else the catalog holds.
"""

from __future__ import annotations

import dataclasses
import re

__all__ = [
    "AUTOBAHN_ID",
    "FAMILIES",
    "FAMILY_BASE",
    "Family",
    "case_sort_key",
    "family_of",
    "is_autobahn_id",
    "section_label",
    "subsection_label",
    "valid_case_id",
]

#: Autobahn's ids: two or three dotted positive numbers.
AUTOBAHN_ID = re.compile(r"[1-9][0-9]*(\.[1-9][0-9]*){1,2}\Z")
_FAMILY_ID = re.compile(r"([a-z]+)(\.[1-9][0-9]*){1,2}\Z")
_CORPUS_ID = re.compile(r"corpus\.([0-9a-f]{8,16})\Z")

#: Sort keys of the families start here, above any Autobahn section number.
FAMILY_BASE = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Family:
    """One of wsconform's own case families: its id prefix, title and sort rank."""

    prefix: str
    title: str
    rank: int


#: The families by prefix, in catalog order.
FAMILIES: dict[str, Family] = {
    family.prefix: family
    for family in (
        Family("hs", "Opening Handshake (servers)", 1),
        Family("hc", "Opening Handshake (clients)", 2),
        Family("fr", "Framing (beyond Autobahn)", 3),
        Family("cl", "Close Handling (beyond Autobahn)", 4),
        Family("corpus", "Fuzz Corpus", 5),
    )
}


def is_autobahn_id(case_id: str) -> bool:
    """Whether ``case_id`` has Autobahn's shape (dotted numbers)."""
    return AUTOBAHN_ID.match(case_id) is not None


def family_of(case_id: str) -> Family | None:
    """The family of one of wsconform's ids, ``None`` for an Autobahn id or a bad one."""
    prefix = case_id.split(".", 1)[0]
    family = FAMILIES.get(prefix)
    if family is None:
        return None
    pattern = _CORPUS_ID if prefix == "corpus" else _FAMILY_ID
    return family if pattern.match(case_id) else None


def valid_case_id(case_id: str) -> bool:
    """Whether ``case_id`` is an Autobahn id or an id of one of :data:`FAMILIES`."""
    return is_autobahn_id(case_id) or family_of(case_id) is not None


def case_sort_key(case_id: str) -> tuple[int, ...]:
    """The tuple the catalog sorts by: ``2.9`` < ``2.10`` < ``10.1.1`` < ``hs.1.1``.

    Dotted numbers (an Autobahn id, or a section or subsection such as ``"6"`` or
    ``"6.4"``) give their number tuple unchanged (``6.4.1`` -> ``(6, 4, 1)``); a family
    id or prefix gives ``(FAMILY_BASE + rank, numbers...)``, a corpus id its digest as a
    number, so families sort after Autobahn and among themselves in catalog order.

    Raises:
        ValueError: ``case_id`` is neither kind of id.
    """
    head, *rest = case_id.split(".")
    if _NUMBER.match(head) and all(_NUMBER.match(part) for part in rest):
        return tuple(int(part) for part in (head, *rest))
    family = FAMILIES.get(head)
    digits = _HEX if head == "corpus" else _NUMBER
    if family is None or not all(digits.match(part) for part in rest):
        raise ValueError(f"not a case id: {case_id!r}")
    base = 16 if head == "corpus" else 10
    return (FAMILY_BASE + family.rank, *(int(part, base) for part in rest))


_NUMBER = re.compile(r"[0-9]+\Z")
_HEX = re.compile(r"[0-9a-f]+\Z")


def section_label(case_id: str) -> str:
    """The section a report groups a case under: ``"6"`` for 6.4.1, ``"hs"`` for hs.1.2."""
    return case_id.split(".", 1)[0]


def subsection_label(case_id: str) -> str | None:
    """``"X.Y"`` for three-part ids (``"6.4"``, ``"hs.1"``), ``None`` for two-part ones."""
    parts = case_id.split(".")
    return ".".join(parts[:2]) if len(parts) == 3 else None
