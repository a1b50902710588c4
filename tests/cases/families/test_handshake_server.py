"""The hs family's tables."""

from __future__ import annotations

from wsconform.cases import catalog
from wsconform.cases.families import handshake_server as family
from wsconform.cases.handshake import ServerHandshakeCase
from wsconform.cases.model import KillAfter, SendClose


def test_exports() -> None:
    for name in family.__all__:
        assert hasattr(family, name)


def test_at_least_forty_cases_with_ordered_ids() -> None:
    ids = [case.id for case in family.CASES]
    assert len(ids) >= 40
    assert len(set(ids)) == len(ids)
    assert [case.id for case in catalog.select(["hs.*"])] == ids
    assert catalog.run_index(ids[0]) == 518
    for case in family.CASES:
        assert case.subsection in family.SUBSECTION_TITLES
        assert (
            catalog.subsection_title(case.subsection) == family.SUBSECTION_TITLES[case.subsection]
        )


def test_every_case_is_for_servers_and_cites_its_rfc() -> None:
    for case in family.CASES:
        assert isinstance(case, ServerHandshakeCase)
        assert case.applies_to == "server"
        assert "RFC " in case.description and "section" in case.description, case.id
        assert case.kill_after is not None or case.close_after is not None, case.id


def test_a_request_to_refuse_is_closed_at_once_if_accepted() -> None:
    for case in family.CASES:
        if not case.answer.wants_accept:
            assert case.steps[0] == SendClose(1000), case.id
            assert isinstance(case.steps[1], KillAfter)


def test_the_table_covers_what_the_issue_lists() -> None:
    text = " ".join(case.description for case in family.CASES)
    for topic in (
        "POST", "HTTP/1.0", "No Host", "No Upgrade", "misspelt", "'keep-alive, Upgrade'",
        "decodes to 15 bytes", "Two Sec-WebSocket-Key", "No Sec-WebSocket-Version",
        "Sec-WebSocket-Version is 8", "is 12", "is 14", "13, 8", "lower case", "64 KiB",
        "1,000 headers", "one byte per TCP segment", "same TCP write", "subprotocol",
        "unknown extension", "server_no_context_takeover=1", "duplicated parameter",
        "window bits below 8", "Two permessage-deflate offers", "server_max_window_bits=10",
    ):  # fmt: skip
        assert topic in text, topic


def test_the_masked_frame_unmasks_to_its_payload() -> None:
    frame = family.masked_text_frame(b"abc", b"\x01\x02\x03\x04")
    assert frame[:2] == b"\x81\x83" and frame[2:6] == b"\x01\x02\x03\x04"
    assert bytes(b ^ frame[2 + i % 4] for i, b in enumerate(frame[6:])) == b"abc"
