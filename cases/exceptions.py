"""Every exception of :mod:`wsconform.cases`.

Hierarchy::

    CaseError                 something is wrong with a case or a case selection
    ├── InvalidCase           a case definition breaks the model's rules (a bug of ours)
    ├── UnknownCaseError      a case id that is not in the catalog
    └── CasePatternError      a ``--cases`` / ``--exclude`` pattern that cannot be used
"""

from __future__ import annotations

__all__ = ["CaseError", "CasePatternError", "InvalidCase", "UnknownCaseError"]


class CaseError(Exception):
    """Base class of the case catalog's exceptions."""


class InvalidCase(CaseError, ValueError):
    """A case or step definition breaks a rule of the model.

    Raised while the catalog is built, so a wrong table entry fails at import time and in
    the tests rather than during a run.
    """

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where, problem)
        self.where = where
        self.problem = problem

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


class UnknownCaseError(CaseError, LookupError):
    """A case id that the catalog does not hold (Autobahn crashes on these; we explain)."""

    def __init__(self, case_id: str) -> None:
        super().__init__(case_id)
        self.case_id = case_id

    def __str__(self) -> str:
        return f"unknown case id {self.case_id!r} (a pattern without '*' is a literal case id)"


class CasePatternError(CaseError, ValueError):
    """A case-id pattern that does not compile to a regular expression."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(pattern, reason)
        self.pattern = pattern
        self.reason = reason

    def __str__(self) -> str:
        return f"bad case pattern {self.pattern!r}: {self.reason}"
