"""The event loop that the asyncio front ends and the harness commands run on.

uvloop (PyPI ``uvloop``, the ``speed`` extra: ``pip install wsconform[speed]``) is an
asyncio event loop built on libuv, with the same API, whose transports and timers cost
less CPU than the standard library's selector loop. It is used when installed; the
standard library's loop is the fallback, and the default where uvloop is missing.

The environment variable ``WSCONFORM_LOOP`` (``asyncio`` or ``uvloop``) forces one;
naming uvloop where it is not installed is an error (:class:`LoopError`), so that a run
meant to measure uvloop never silently measures asyncio. :func:`run` replaces
:func:`asyncio.run` at every entry point; :func:`describe` names the loop for
``wsconform --version``.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["ENV_VAR", "LOOPS", "LoopError", "choose", "describe", "loop_factory", "run"]

#: The environment variable that chooses the loop.
ENV_VAR = "WSCONFORM_LOOP"
#: The loops by name, fastest first.
LOOPS: tuple[str, ...] = ("uvloop", "asyncio")

T = TypeVar("T")


class LoopError(Exception):
    """An event loop that is unknown or not installed."""


def _uvloop_installed() -> bool:
    try:
        importlib.import_module("uvloop")
    except ImportError:
        return False
    return True


def choose(name: str | None = None) -> str:
    """The loop to use: ``name``, else :data:`ENV_VAR`, else the fastest installed.

    Raises:
        LoopError: the name is not one of :data:`LOOPS`, or uvloop is not installed.
    """
    wanted = name or os.environ.get(ENV_VAR) or None
    if wanted is None:
        return "uvloop" if _uvloop_installed() else "asyncio"
    if wanted not in LOOPS:
        raise LoopError(f"unknown event loop {wanted!r} (choose from {', '.join(LOOPS)})")
    if wanted == "uvloop" and not _uvloop_installed():
        raise LoopError("event loop 'uvloop' is not installed (pip install wsconform[speed])")
    return wanted


def loop_factory(name: str | None = None) -> Callable[[], asyncio.AbstractEventLoop]:
    """A function that makes a new event loop of the chosen kind (see :func:`choose`).

    Raises:
        LoopError: see :func:`choose`.
    """
    if choose(name) == "uvloop":
        uvloop = importlib.import_module("uvloop")
        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    return asyncio.new_event_loop


def describe() -> str:
    """The chosen loop with its version (``uvloop 0.23.0``, ``asyncio``), or the error."""
    try:
        name = choose()
    except LoopError as exc:
        return str(exc)
    if name == "uvloop":
        return f"uvloop {importlib.import_module('uvloop').__version__}"
    return "asyncio"


def run(main: Coroutine[Any, Any, T], *, name: str | None = None) -> T:
    """:func:`asyncio.run` on the chosen loop.

    Raises:
        LoopError: see :func:`choose` (``main`` is closed without running).
        whatever ``main`` raises.
    """
    try:
        factory = loop_factory(name)
    except LoopError:
        main.close()
        raise
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
