"""Documented exceptions to "every case OK" in the conformance run of the reference.

``wsconform conformance`` (``make test-conformance``) runs the one CI gate at
``--fail-on informational``: every case must be OK, and the informational cases
INFORMATIONAL (their expected outcome). A case may deviate only if it is listed here,
with the outcome it may have instead, the RFC text that allows the deviation and why we
accept it; the gate takes the list as accepted outcomes (:func:`accepted`). The list is
meant to stay empty: an entry is a debt.
"""

from __future__ import annotations

import dataclasses

from wsconform.harness.gate import Baseline
from wsconform.harness.record.outcome import Outcome

__all__ = ["EXEMPTIONS", "Exemption", "accepted"]


@dataclasses.dataclass(frozen=True, slots=True)
class Exemption:
    """A tolerated deviation of one case: the worst outcome allowed, and why (with the RFC)."""

    case_id: str
    outcome: Outcome
    rfc: str
    reason: str


#: Case id -> exemption. Empty: the reference server must pass every case outright.
EXEMPTIONS: dict[str, Exemption] = {}


def accepted(agent: str) -> Baseline:
    """The exemptions as the accepted outcomes of ``agent``, for the gate."""
    return Baseline({agent: {case_id: e.outcome for case_id, e in EXEMPTIONS.items()}})
