"""The hc family's tables."""

from __future__ import annotations

import pytest

from wsconform.cases import catalog
from wsconform.cases.families import handshake_client as family
from wsconform.cases.handshake import ClientHandshakeCase
from wsconform.cases.model import KillAfter, Message, SendMessage


def test_exports() -> None:
    for name in family.__all__:
        assert hasattr(family, name)


def test_ids_follow_the_server_family() -> None:
    ids = [case.id for case in family.CASES]
    assert len(ids) == len(set(ids)) >= 25
    assert [case.id for case in catalog.select(["hc.*"])] == ids
    last_hs = catalog.select(["hs.*"])[-1].id
    assert catalog.run_index(ids[0]) == catalog.run_index(last_hs) + 1
    for case in family.CASES:
        assert case.subsection in family.SUBSECTION_TITLES


def test_every_case_is_for_clients_and_cites_its_rfc() -> None:
    for case in family.CASES:
        assert isinstance(case, ClientHandshakeCase)
        assert case.applies_to == "client"
        assert "RFC " in case.description and "section" in case.description, case.id


def test_cases_to_fail_probe_with_a_message_under_a_timer() -> None:
    for case in family.CASES:
        if not case.proceed:
            assert case.steps == (SendMessage(b"Hello, handshake"), KillAfter(case.wait))
            assert case.expected == {}


def test_valid_answers_expect_the_echo() -> None:
    proceeding = [case for case in family.CASES if case.proceed]
    assert len(proceeding) >= 5
    for case in proceeding:
        (events,) = case.expected.values()
        assert len(events) == 1 and isinstance(events[0], Message)
    in_segment = catalog.get("hc.6.2")
    assert isinstance(in_segment, ClientHandshakeCase)
    assert in_segment.response.trailer == family.text_frame(b"Sent in the same segment as the 101")


def test_text_frame() -> None:
    assert family.text_frame(b"ab") == b"\x81\x02ab"
    with pytest.raises(ValueError, match="125"):
        family.text_frame(b"x" * 126)
