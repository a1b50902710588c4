"""The verdicts of a case and the one rule that folds them into an outcome.

A case carries two verdicts, Autobahn's ``behavior`` and ``behaviorClose``
(:class:`Verdicts`). Everything that needs a single value per case (the HTML matrix,
JUnit, Markdown, the terminal, the CI gate, ``wsconform compare``) takes
:func:`outcome_of`, and nothing else decides what counts as failing. The integer order
of :class:`Outcome` is the gate's severity order::

    OK < INFORMATIONAL < UNIMPLEMENTED < NON_STRICT < FAILED

The folding follows the colours of Autobahn's report: ``behavior`` FAILED or a close
verdict FAILED/UNCLEAN is red (FAILED); a close verdict WRONG CODE or FAILED BY CLIENT is
a pass that misses a SHOULD (NON-STRICT); UNIMPLEMENTED (no permessage-deflate) and
INFORMATIONAL keep their names.

A harness error is not an outcome: it says nothing about the target and is reported
apart.
"""

from __future__ import annotations

import dataclasses
import enum

from wsconform.cases.model import Verdict

__all__ = [
    "FAILED",
    "INFORMATIONAL",
    "NON_STRICT",
    "OK",
    "UNIMPLEMENTED",
    "CloseVerdict",
    "Outcome",
    "Verdicts",
    "outcome_of",
    "parse_outcome",
    "reason_of",
]


class CloseVerdict(enum.StrEnum):
    """``behaviorClose`` values, as the exact strings of Autobahn's reports."""

    OK = "OK"
    FAILED = "FAILED"
    UNCLEAN = "UNCLEAN"
    WRONG_CODE = "WRONG CODE"
    FAILED_BY_CLIENT = "FAILED BY CLIENT"
    INFORMATIONAL = "INFORMATIONAL"


class Outcome(enum.IntEnum):
    """A case's folded verdict; a larger value is worse."""

    OK = 0
    INFORMATIONAL = 1
    UNIMPLEMENTED = 2
    NON_STRICT = 3
    FAILED = 4

    @property
    def label(self) -> str:
        """The verdict string of the reports: ``"NON-STRICT"``, ``"OK"``, ..."""
        return self.name.replace("_", "-")

    def __str__(self) -> str:
        return self.label


OK = Outcome.OK
INFORMATIONAL = Outcome.INFORMATIONAL
UNIMPLEMENTED = Outcome.UNIMPLEMENTED
NON_STRICT = Outcome.NON_STRICT
FAILED = Outcome.FAILED

#: Close verdicts that Autobahn paints as a near pass (olive, light green).
_SOFT_CLOSE = frozenset({str(CloseVerdict.WRONG_CODE), str(CloseVerdict.FAILED_BY_CLIENT)})
_KNOWN_CLOSE = frozenset(str(v) for v in CloseVerdict)


def outcome_of(behavior: str, behavior_close: str) -> Outcome:
    """Fold the two verdict strings (as in ``index.json``) into one :class:`Outcome`.

    Strings are taken rather than enums so that reports written by Autobahn or by an
    older wsconform fold the same way. An unknown ``behavior`` or close verdict is
    FAILED, as Autobahn's report shows "anything else" as Fail; the legacy ``NO_CLOSE``
    is NON-STRICT (Autobahn paints it olive).
    """
    if behavior == Verdict.FAILED or behavior_close not in _KNOWN_CLOSE:
        return FAILED
    if behavior_close in (CloseVerdict.FAILED, CloseVerdict.UNCLEAN):
        return FAILED
    if behavior == Verdict.UNIMPLEMENTED:
        return UNIMPLEMENTED
    if behavior == Verdict.INFORMATIONAL:
        return INFORMATIONAL
    if behavior in (Verdict.NON_STRICT, Verdict.NO_CLOSE) or behavior_close in _SOFT_CLOSE:
        return NON_STRICT
    if behavior == Verdict.OK:
        return OK
    return FAILED


def parse_outcome(text: str) -> Outcome:
    """An outcome from its label (``"NON-STRICT"``), case-insensitive, ``_`` or ``-``.

    Raises:
        ValueError: ``text`` names no outcome.
    """
    name = text.strip().upper().replace("-", "_")
    try:
        return Outcome[name]
    except KeyError:
        labels = ", ".join(o.label for o in Outcome)
        raise ValueError(f"unknown verdict {text!r} (expected one of {labels})") from None


@dataclasses.dataclass(frozen=True, slots=True)
class Verdicts:
    """The two verdicts of a case and the sentences that explain them.

    ``result`` explains ``behavior`` and ``result_close`` explains ``behavior_close``;
    a verdict that is not OK always comes with a sentence saying what the peer did and
    what it should have done.
    """

    behavior: Verdict
    behavior_close: CloseVerdict
    result: str
    result_close: str

    @property
    def outcome(self) -> Outcome:
        """The folded verdict (:func:`outcome_of`)."""
        return outcome_of(str(self.behavior), str(self.behavior_close))

    @property
    def reason(self) -> str:
        """The sentence that explains the outcome (:func:`reason_of`)."""
        return reason_of(self.behavior, self.behavior_close, self.result, self.result_close)


def reason_of(
    behavior: str, behavior_close: str, result: str | None, result_close: str | None
) -> str:
    """The sentence that explains a case's outcome, from its two verdicts and their texts.

    When ``behavior`` is not OK its text explains the outcome; otherwise the close
    verdict's text does (a case can pass on behaviour and fail on closing). Returns an
    empty string when the needed text is missing (a report from another tool).
    """
    if behavior != Verdict.OK:
        return result or ""
    if behavior_close != CloseVerdict.OK:
        return result_close or ""
    return result or ""
