"""Choosing the event loop: uvloop when installed, asyncio otherwise, or as forced."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect

import pytest

from wsconform.reference.asyncio import loop

UVLOOP = importlib.util.find_spec("uvloop") is not None


async def loop_type() -> str:
    return type(asyncio.get_running_loop()).__module__


def test_the_default_is_the_fastest_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(loop.ENV_VAR, raising=False)
    assert loop.choose() == ("uvloop" if UVLOOP else "asyncio")


def test_the_environment_forces_asyncio(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.ENV_VAR, "asyncio")
    assert loop.choose() == "asyncio"
    assert loop.describe() == "asyncio"
    assert loop.run(loop_type()).startswith("asyncio")


@pytest.mark.skipif(not UVLOOP, reason="uvloop is not installed")
def test_uvloop_runs_when_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.ENV_VAR, "uvloop")
    assert loop.run(loop_type()).startswith("uvloop")
    assert loop.describe().startswith("uvloop ")
    assert loop.run(loop_type(), name="asyncio").startswith("asyncio")


def test_an_unknown_loop_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(loop.ENV_VAR, "trio")
    with pytest.raises(loop.LoopError, match="unknown event loop 'trio'"):
        loop.choose()
    assert "unknown event loop" in loop.describe()
    coroutine = loop_type()
    with pytest.raises(loop.LoopError):
        loop.run(coroutine)
    # The coroutine was closed, not left to warn that it was never awaited.
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED


def test_a_missing_uvloop_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where uvloop is not installed (simulated: it is installed with the dev extra).
    monkeypatch.setattr(loop, "_uvloop_installed", lambda: False)
    monkeypatch.delenv(loop.ENV_VAR, raising=False)
    assert loop.choose() == "asyncio"
    monkeypatch.setenv(loop.ENV_VAR, "uvloop")
    with pytest.raises(loop.LoopError, match="not installed"):
        loop.choose()


def test_results_and_exceptions_come_back() -> None:
    async def fail() -> None:
        raise KeyError("x")

    async def value() -> int:
        return 42

    assert loop.run(value()) == 42
    with pytest.raises(KeyError):
        loop.run(fail())
