"""Run ``async def`` tests with :func:`asyncio.run` (see tests/reference/asyncio)."""

from __future__ import annotations

from tests.reference.asyncio.conftest import pytest_pyfunc_call

__all__ = ["pytest_pyfunc_call"]
