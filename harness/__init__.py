"""The harness: runs cases and fuzzers against servers and clients, and writes reports."""

from __future__ import annotations

__all__: list[str] = []
