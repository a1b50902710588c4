"""Run ``async def`` tests in a fresh event loop, each bounded by a timeout.

A small hook rather than a plugin dependency: every test of the asyncio front end is a
coroutine run by :func:`asyncio.run`, under ``unit(10)`` seconds.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from tests.timing import unit

__all__ = ["pytest_pyfunc_call"]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a coroutine test function with :func:`asyncio.run`."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    kwargs: dict[str, Any] = {
        name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames
    }

    async def run() -> None:
        async with asyncio.timeout(unit(10)):
            await pyfuncitem.obj(**kwargs)

    asyncio.run(run())
    return True
