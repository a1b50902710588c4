"""One verdict per case for people and for CI: the two Autobahn verdicts folded into one.

A case carries two verdicts, ``behavior`` and ``behaviorClose`` (catalog 3). The HTML
matrix, the JUnit and Markdown renderers, the CI gate and ``wsconform compare`` need a
single value per case, ordered by how bad it is. :class:`Outcome` is that value; its
integer order *is* the gate's severity order::

    OK < INFORMATIONAL < UNIMPLEMENTED < NON_STRICT < FAILED

The folding follows the colours of Autobahn's report (catalog 6.1): ``behavior`` FAILED
or a close verdict FAILED/UNCLEAN is red (FAILED, the same rule as
:attr:`~wsconform.harness.report.model.Verdicts.failed`); a close verdict WRONG CODE or
FAILED BY CLIENT is olive or light green, a pass that misses a SHOULD (NON-STRICT);
UNIMPLEMENTED (no permessage-deflate) and INFORMATIONAL keep their names.

A harness error is not an outcome: it says nothing about the target and is reported
apart (house style 5).
"""

from __future__ import annotations

import enum

from wsconform.cases.model import Verdict

from .model import CaseResult, CloseVerdict

__all__ = [
    "FAILED",
    "INFORMATIONAL",
    "NON_STRICT",
    "OK",
    "UNIMPLEMENTED",
    "Outcome",
    "outcome_of",
    "parse_outcome",
    "result_outcome",
]


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


def result_outcome(result: CaseResult) -> Outcome:
    """The outcome of one case result."""
    return outcome_of(str(result.verdicts.behavior), str(result.verdicts.behavior_close))


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
