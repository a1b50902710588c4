"""The case catalog: declarative cases with Autobahn's ids, and families of our own."""

from __future__ import annotations

__all__: list[str] = []
