"""Running cases against a target (placeholder exports; see :mod:`.executor`)."""

from __future__ import annotations

__all__: list[str] = []
