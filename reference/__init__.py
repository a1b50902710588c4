"""The reference WebSocket implementation: a sans-I/O core and front ends on top of it."""

from __future__ import annotations

__all__: list[str] = []
