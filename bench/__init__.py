"""Benchmarks: every figure is a ratio against a peer measured in the same run."""

from __future__ import annotations

__all__: list[str] = []
