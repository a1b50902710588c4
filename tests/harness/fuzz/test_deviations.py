"""Each named deviation recognises its kind of mismatch from the prediction alone."""

from __future__ import annotations

import pytest

from wsconform.harness.fuzz import deviations
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.deviations import DEVIATIONS, deviation_of
from wsconform.harness.fuzz.oracle import predict
from wsconform.harness.wire.frame import WireFrame

ALL = frozenset(DEVIATIONS)


def _of(*frames: WireFrame) -> str | None:
    conversation = Conversation(tuple(Send(frame) for frame in frames))
    return deviation_of(conversation, predict(conversation), ALL)


def test_the_exports_exist() -> None:
    for name in deviations.__all__:
        assert hasattr(deviations, name), name
    assert all(d.description for d in DEVIATIONS.values())


def test_invalid_utf8_in_an_unfinished_text_message() -> None:
    assert _of(WireFrame(1, b"\x80", fin=False, masked=True)) == "utf8-at-end"
    started = WireFrame(1, b"a", fin=False, masked=True)
    assert _of(started, WireFrame(0, b"\xff", fin=False, masked=True)) == "utf8-at-end"
    # The last frame of a message is where a check at the end finds it: not this kind.
    assert _of(WireFrame(1, b"\x80", masked=True)) is None
    assert _of(started, WireFrame(0, b"\xff", masked=True)) is None


def test_unmasked_client_frames() -> None:
    assert _of(WireFrame(2, b"x")) == "unmasked-accepted"
    assert _of(WireFrame(2, b"x", masked=True)) is None


def test_other_failures_are_no_deviation() -> None:
    assert _of(WireFrame(3, masked=True)) is None
    assert _of(WireFrame(2, rsv=4, masked=True)) is None


def test_an_unknown_name_is_refused() -> None:
    conversation = Conversation((Send(WireFrame(2)),))
    with pytest.raises(KeyError):
        deviation_of(conversation, predict(conversation), frozenset({"nope"}))
