"""The ``corpus`` family: shrunk fuzz findings, replayed as ordinary cases.

Its cases are read, when the catalog is built, from the package's ``cases/corpus/``
and from every directory in ``WSCONFORM_CORPUS``
(:func:`wsconform.harness.fuzz.corpus.search_path`); each file's conversation gets the
oracle's expectations (:mod:`wsconform.harness.fuzz.corpus`). A file that cannot be
used is left out with a warning naming it, so that a bad file in a user's directory
never stops a run of the other cases.
"""

from __future__ import annotations

import warnings

from wsconform.cases.model import Case
from wsconform.harness.fuzz.corpus import load_cases, search_path

__all__ = ["CASES", "PROBLEMS"]

_cases, PROBLEMS = load_cases(search_path())
for _problem in PROBLEMS:
    warnings.warn(f"wsconform: corpus file left out: {_problem}", stacklevel=1)

#: The corpus cases, in no particular order (the catalog sorts them).
CASES: tuple[Case, ...] = tuple(_cases)
