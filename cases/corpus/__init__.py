"""The package's fuzz corpus: one JSON file per shrunk finding (``<digest>.json``).

Not code: the files are read by :mod:`wsconform.harness.fuzz.corpus` and become the
catalog's ``corpus`` family (:mod:`wsconform.cases.families.corpus`). This module only
makes the folder a package, so that its JSON files are installed with it.
"""

from __future__ import annotations

__all__: list[str] = []
