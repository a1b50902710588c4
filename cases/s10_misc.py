"""Section 10, Misc: the tester's own auto-fragmentation (10.1.1).

A 65536-byte text message goes out through the message sender with an auto-fragment size
of 1300: a text frame and 49 continuations of 1300 bytes, then a final continuation of
536 bytes (:func:`~wsconform.cases.model.fragment_payload`). The peer only has to echo
the message; the case also checks that the tester itself sent exactly 1 text frame and
50 continuation frames, which guards our fragmenter against drifting from Autobahn's.
"""

from __future__ import annotations

from .common import TESTER_CLOSES, ok
from .model import CONT, TEXT, Case, CaseOptions, KillAfter, Message, SendMessage

__all__ = ["CASES"]

_SIZE = 65536
_AUTO_FRAGMENT = 1300
_PAYLOAD = b"*" * _SIZE

CASES: tuple[Case, ...] = (
    Case(
        id="10.1.1",
        description=(
            f"Send a text message of {_SIZE} bytes with the tester's auto-fragment size "
            f"set to <b>{_AUTO_FRAGMENT}</b>."
        ),
        expectation=(
            "The message is echoed with the same payload, and the tester sent the frame "
            "counts the fragment size implies. Clean close with normal code."
        ),
        steps=(SendMessage(_PAYLOAD), KillAfter(10)),
        expected=ok(Message(_PAYLOAD)),
        expected_close=TESTER_CLOSES,
        options=CaseOptions(auto_fragment_size=_AUTO_FRAGMENT),
        # Autobahn's count: full-size continuations, plus 1 text frame when there is a
        # remainder (the first piece is the text frame, the remainder the last one).
        expected_tx_frames={
            CONT: _SIZE // _AUTO_FRAGMENT,
            TEXT: 1 if _SIZE % _AUTO_FRAGMENT else 0,
        },
    ),
)
