"""Section 12, WebSocket compression with different payloads (permessage-deflate, RFC 7692).

Each case runs the compressed message loop of docs/autobahn.md section 6.6 on one of five data files
(:mod:`.testdata`), with the default offer. Row k of :data:`MSG_SIZES` gives case
``12.j.k`` its message length, count, WAITSECS and auto-fragment size; the same rows are
used by section 13. When the peer does not negotiate permessage-deflate the case is
UNIMPLEMENTED (:class:`~wsconform.cases.model.RequireDeflate`).
"""

from __future__ import annotations

from .common import TESTER_CLOSES
from .deflate import DeflateAccept, DeflateOffer, DeflateSettings
from .model import (
    Case,
    CaseOptions,
    CloseAfter,
    EchoLoop,
    RequireDeflate,
    SetWirelog,
)
from .testdata import FILES, DataFile

__all__ = ["CASES", "DEFAULT_DEFLATE", "MSG_SIZES", "SUBSECTION_TITLES", "deflate_case"]

#: (message length in units, number of messages, WAITSECS, auto-fragment size or 0).
MSG_SIZES: tuple[tuple[int, int, float, int], ...] = (
    (16, 1000, 60, 0),
    (64, 1000, 60, 0),
    (256, 1000, 120, 0),
    (1024, 1000, 240, 0),
    (4096, 1000, 480, 0),
    (8192, 1000, 480, 0),
    (16384, 1000, 480, 0),
    (32768, 1000, 480, 0),
    (65536, 1000, 480, 0),
    (131072, 1000, 480, 0),
    (8192, 1000, 480, 256),
    (16384, 1000, 480, 256),
    (32768, 1000, 480, 256),
    (65536, 1000, 480, 256),
    (131072, 1000, 480, 256),
    (131072, 1000, 480, 1024),
    (131072, 1000, 480, 4096),
    (131072, 1000, 480, 32768),
)

#: Autobahn's default offer, and accepting the first deflate offer unchanged (accept1).
DEFAULT_DEFLATE = DeflateSettings((DeflateOffer(),), DeflateAccept(((False, 0),)))


def deflate_case(
    case_id: str, data_file: DataFile, row: tuple[int, int, float, int], settings: DeflateSettings
) -> Case:
    """One case of the compressed message loop (sections 12 and 13)."""
    length, count, wait, autofrag = row
    unit = "bytes" if data_file.binary else "characters"
    fragments = f"auto-fragmented at {autofrag} octets" if autofrag else "not fragmented"
    return Case(
        id=case_id,
        description=(
            f"Send {count} compressed messages of {length} {unit} each, read in turn from "
            f"{data_file.file_name}, {fragments}. Offer permessage-deflate "
            f"(requestNoContextTakeover, requestMaxWindowBits): {settings.offers_label()}."
        ),
        expectation=(
            "Every message is echoed with the same type and content (checked by SHA-1). "
            f"The case times out after {wait:g} s."
        ),
        steps=(
            SetWirelog(False),
            RequireDeflate(),
            CloseAfter(wait),
            EchoLoop(
                count=count,
                length=length,
                binary=data_file.binary,
                wait=wait,
                data_file=data_file.key,
            ),
        ),
        expected={},
        expected_close=TESTER_CLOSES,
        report_time=True,
        report_compression_ratio=True,
        options=CaseOptions(auto_fragment_size=autofrag, deflate=settings),
    )


SUBSECTION_TITLES: dict[str, str] = {
    f"12.{j}": data_file.title for j, data_file in enumerate(FILES, start=1)
}

CASES: tuple[Case, ...] = tuple(
    deflate_case(f"12.{j}.{k}", data_file, row, DEFAULT_DEFLATE)
    for j, data_file in enumerate(FILES, start=1)
    for k, row in enumerate(MSG_SIZES, start=1)
)
