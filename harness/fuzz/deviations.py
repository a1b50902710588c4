"""Known deviations a fuzz run may be told to tolerate (``wsconform fuzz --tolerate``).

A *deviation* is a kind of mismatch that real, widely used libraries show on purpose
and that RFC 6455 or Autobahn's own grading leaves room for. Tolerating one keeps the
search going past it, so that the rest of the peer is still fuzzed; each tolerated
mismatch is counted in the result (:attr:`~.runner.FuzzResult.tolerated`), never
hidden. Whether a mismatch is of a kind is decided from the conversation and the
oracle's prediction alone, before looking at what the peer did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from wsconform.reference.protocol.frames import CONT, TEXT

from .conversation import Conversation
from .oracle import RULES, Prediction

__all__ = ["DEVIATIONS", "Deviation", "deviation_of"]


@dataclasses.dataclass(frozen=True, slots=True)
class Deviation:
    """A named kind of mismatch: ``applies`` says whether a prediction is of it."""

    name: str
    description: str
    applies: Callable[[Conversation, Prediction], bool]


def _utf8_in_unfinished_message(conversation: Conversation, prediction: Prediction) -> bool:
    if not prediction.fails or prediction.rule != RULES["utf8"]:
        return False
    index = prediction.failing_frame
    if index is None:
        return False
    frame = conversation.frames[index - 1]
    return not frame.fin and frame.opcode in (TEXT, CONT)


def _unmasked(conversation: Conversation, prediction: Prediction) -> bool:
    return prediction.fails and prediction.rule == RULES["mask"]


#: Every deviation by name.
DEVIATIONS: dict[str, Deviation] = {
    deviation.name: deviation
    for deviation in (
        Deviation(
            "utf8-at-end",
            "invalid UTF-8 in a text message that is not complete yet is not failed "
            "until the message ends (the fail-fast rule of Autobahn's 6.4.x, which "
            "grades failing at the end of the message NON-STRICT; a message that never "
            "ends is then never failed)",
            _utf8_in_unfinished_message,
        ),
        Deviation(
            "unmasked-accepted",
            "an unmasked frame from the client is accepted, where RFC 6455 section 5.1 "
            'says "The server MUST close the connection upon receiving a frame that is '
            "not masked\" (aiohttp's server, for one)",
            _unmasked,
        ),
    )
}


def deviation_of(
    conversation: Conversation, prediction: Prediction, names: frozenset[str]
) -> str | None:
    """The first deviation of ``names`` that the mismatch is of, if any.

    Raises:
        KeyError: a name is not in :data:`DEVIATIONS`.
    """
    for name in sorted(names):
        if DEVIATIONS[name].applies(conversation, prediction):
            return name
    return None
