"""The oracle agrees with the catalog wherever it can express a case, and names rules."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given

from wsconform.cases import catalog
from wsconform.cases.model import (
    OK,
    Case,
    CloseAfter,
    KillAfter,
    Message,
    Pong,
    SendFrame,
    SendWireFrame,
)
from wsconform.harness.fuzz.conversation import Conversation, Send, WritePattern
from wsconform.harness.fuzz.oracle import RULES, predict, to_case
from wsconform.harness.fuzz.strategies import conversations
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.connection import CLIENT


def _conversation(case: Case) -> Conversation | None:
    """The frames of a catalog case that only sends frames and then waits."""
    *sends, last = case.steps
    if not isinstance(last, KillAfter | CloseAfter) or case.options.deflate is not None:
        return None
    if not sends or not all(isinstance(step, SendFrame) for step in sends):
        return None
    frames = []
    for step in sends:
        assert isinstance(step, SendFrame)
        frame = WireFrame(step.opcode, step.data(), step.fin, step.rsv, masked=True)
        frames.append(Send(frame, WritePattern(step.sync, step.chopsize)))
    return Conversation(tuple(frames))


EXPRESSIBLE = [case for case in catalog.CASES if _conversation(case) is not None]


def test_the_oracle_can_express_a_good_share_of_the_catalog() -> None:
    assert len(EXPRESSIBLE) >= 60


@pytest.mark.parametrize("case", EXPRESSIBLE, ids=lambda case: case.id)
def test_the_oracle_agrees_with_the_catalog(case: Case) -> None:
    conversation = _conversation(case)
    assert conversation is not None
    prediction = predict(conversation)
    alternatives = {prediction.events, prediction.tolerated}
    assert case.expected[OK] in alternatives
    must_fail = not case.expected_close.closed_by_me
    assert prediction.fails or prediction.close_rcvd or not must_fail
    if prediction.fails:
        assert must_fail
        assert set(prediction.close_codes) & set(case.expected_close.close_codes)


def _send(*frames: WireFrame) -> Conversation:
    return Conversation(tuple(Send(frame) for frame in frames))


def test_pings_inside_a_message_are_answered_before_the_echo() -> None:
    conversation = _send(
        WireFrame(1, b"a", fin=False, masked=True),
        WireFrame(9, b"p", masked=True),
        WireFrame(0, b"b", masked=True),
    )
    prediction = predict(conversation)
    assert prediction.events == (Pong(b"p"), Message(b"ab"))
    assert not prediction.fails and prediction.tolerated is None
    case = to_case(conversation, case_id="99.1.1")
    assert case.expected_close.closed_by_me


def test_invalid_utf8_fails_with_1007_and_quotes_section_8_1() -> None:
    prediction = predict(_send(WireFrame(1, b"\xff", fin=False, masked=True)))
    assert prediction.fails and prediction.close_codes == (1007,)
    assert prediction.rule == RULES["utf8"] and prediction.failing_frame == 1


def test_two_defensible_codes_and_the_close_answer() -> None:
    top = predict(_send(WireFrame(2, b"", masked=True, length=1 << 63)))
    assert top.close_codes == (1002, 1009)
    reason = predict(_send(WireFrame(8, b"\x03\xe8\xff", masked=True)))
    assert reason.close_codes == (1007, 1002)
    empty = predict(_send(WireFrame(8, b"", masked=True)))
    assert empty.close_rcvd and empty.close_codes == (1000,)


def test_a_chosen_length_is_a_wire_frame_step() -> None:
    case = to_case(_send(WireFrame(2, b"", masked=True, length=5)), case_id="99.1.1")
    step = case.steps[0]
    assert isinstance(step, SendWireFrame) and step.length == 5 and step.masked is True
    plain = to_case(_send(WireFrame(2, b"x", masked=True)), case_id="99.1.1")
    assert isinstance(plain.steps[0], SendFrame)


def test_an_unmasked_client_frame_is_a_case_step() -> None:
    case = to_case(_send(WireFrame(2, b"x")), case_id="99.1.1")
    step = case.steps[0]
    assert isinstance(step, SendWireFrame) and step.masked is False
    assert not case.expected_close.closed_by_me and case.expected_close.close_codes == (1002,)
    # A server's conversation (testing a client): unmasked is the role's own masking.
    served = to_case(_send(WireFrame(2, b"x")), case_id="99.1.1", masked=False)
    assert isinstance(served.steps[0], SendFrame)
    assert served.expected_close.closed_by_me


@given(conversation=conversations())
def test_every_generated_conversation_is_a_case(conversation: Conversation) -> None:
    case = to_case(conversation, case_id="99.1.1")
    assert len(case.expected) <= 2
    assert dataclasses.replace(case) is not None


def test_a_client_must_fail_on_a_masked_frame_from_the_server() -> None:
    masked = predict(_send(WireFrame(2, b"x", masked=True)), side=CLIENT)
    assert masked.fails and masked.close_codes == (1002,)
    assert masked.rule == RULES["mask-client"]
    plain = predict(_send(WireFrame(2, b"x")), side=CLIENT)
    assert not plain.fails and plain.events == (Message(b"x", True),)


def test_a_non_minimal_length_fails_with_1002_or_is_accepted_non_strict() -> None:
    # As the fr.1 cases judge it (cases/families/framing.py): section 5.2 binds the
    # sender, so failing is OK and reading the long form is NON-STRICT.
    from wsconform.cases.model import NON_STRICT as VERDICT_NON_STRICT
    from wsconform.cases.model import Alternative, Message
    from wsconform.harness.wire.frame import LengthEncoding

    long_form = WireFrame(1, b"hi", masked=True, length_encoding=LengthEncoding.LENGTH_16)
    prediction = predict(_send(long_form))
    assert prediction.fails and prediction.close_codes == (1002,)
    assert prediction.rule == RULES["length"]
    accepted = prediction.accepted
    assert accepted is not None and not accepted.fails
    assert accepted.events == (Message(b"hi", False),)
    case = to_case(_send(long_form), prediction, case_id="99.1.1")
    assert case.expected_close.close_codes == (1002,)
    [alternative] = case.alternatives
    assert isinstance(alternative, Alternative)
    assert alternative.events == (Message(b"hi", False),)
    assert alternative.verdict == VERDICT_NON_STRICT
    assert alternative.expected_close.closed_by_me
    assert alternative.expected_close.close_codes == (1000, 1001)
    # A plain frame has no alternative.
    assert predict(_send(WireFrame(1, b"hi", masked=True))).accepted is None
