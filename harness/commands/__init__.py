"""One module per ``wsconform`` sub-command."""

from __future__ import annotations

__all__: list[str] = []
