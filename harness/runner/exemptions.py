"""Documented exceptions to "every case OK" in the conformance run of the reference server.

``wsconform conformance`` (``make test-conformance``) fails unless every case against
the reference server has ``behavior`` OK (INFORMATIONAL for informational cases) and
``behaviorClose`` OK (INFORMATIONAL likewise). A case may deviate only if it is listed
here, with the verdicts it may have instead, the RFC text that allows the deviation
and why we accept it. The list is meant to stay empty: an entry is a debt.
"""

from __future__ import annotations

import dataclasses

from wsconform.cases.model import Case, Verdict
from wsconform.harness.report.model import CloseVerdict, Verdicts

__all__ = ["EXEMPTIONS", "Exemption", "conforms", "exemption_for"]


@dataclasses.dataclass(frozen=True, slots=True)
class Exemption:
    """A tolerated deviation of one case: the verdicts allowed, and why (with the RFC)."""

    case_id: str
    behaviors: frozenset[Verdict]
    close_verdicts: frozenset[CloseVerdict]
    rfc: str
    reason: str


#: Case id -> exemption. Empty: the reference server must pass every case outright.
EXEMPTIONS: dict[str, Exemption] = {}


def exemption_for(case_id: str) -> Exemption | None:
    """The exemption of a case, if it has one."""
    return EXEMPTIONS.get(case_id)


def conforms(case: Case, verdicts: Verdicts) -> bool:
    """Whether a result passes the conformance run (see the module docstring)."""
    if case.informational is not None:
        ok_behavior = verdicts.behavior is Verdict.INFORMATIONAL
        ok_close = verdicts.behavior_close is CloseVerdict.INFORMATIONAL
    else:
        ok_behavior = verdicts.behavior is Verdict.OK
        ok_close = verdicts.behavior_close is CloseVerdict.OK
    if ok_behavior and ok_close:
        return True
    exemption = exemption_for(case.id)
    return (
        exemption is not None
        and verdicts.behavior in exemption.behaviors
        and verdicts.behavior_close in exemption.close_verdicts
    )
