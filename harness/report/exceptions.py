"""Every exception of :mod:`wsconform.harness.report`.

Hierarchy::

    ReportError        a report cannot be written (unwritable directory, clashing names,
                       an existing index.json that is not a report)
"""

from __future__ import annotations

import pathlib

__all__ = ["ReportError"]


class ReportError(Exception):
    """A report could not be written; ``path`` is where, ``reason`` why."""

    def __init__(self, path: pathlib.Path, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"cannot write the report at {self.path}: {self.reason}"
