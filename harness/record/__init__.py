"""The run record: what one case produced, below both the wire client and the reports.

:mod:`.outcome` holds the verdict types and the one rule that folds them into an
outcome; the wire client, the verdict rules and every renderer import from here.
"""

from __future__ import annotations

__all__: list[str] = []
