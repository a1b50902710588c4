"""One unit of time for every timeout in the tests, scaled by an environment variable."""

from __future__ import annotations

import os

__all__ = ["UNIT", "unit"]

UNIT = float(os.environ.get("WSCONFORM_TIMEOUT_UNIT", "1.0"))


def unit(multiple: float = 1.0) -> float:
    """Return ``multiple`` time units, in seconds."""
    return multiple * UNIT
