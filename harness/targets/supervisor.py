"""Watching a started target during a run: detect its death, restart it, blame nobody.

A case during which the target died gets a harness error, never a verdict (a crash
under test says nothing about the case that happened to run, and a FAILED verdict
would be about the wrong case); the target is started again and the remaining cases
run. Every case records the *generation* of the target it started with; a case that
ends after a restart, or while the target is dead, was interrupted.

A target that dies :data:`MAX_RESTARTS` times is not started again: the cases left are
reported as not run, as for an unreachable URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse

from .base import DEFAULT_READY_TIMEOUT, ServerTarget
from .exceptions import TargetError

__all__ = ["DYING_WAIT", "MAX_RESTARTS", "SETTLE", "Supervisor"]

#: Restarts allowed in one run before the target counts as gone.
MAX_RESTARTS = 10
#: Seconds a case that ended badly waits for a dying target to be seen dead: the
#: kernel closes a process's sockets before its exit status can be collected.
SETTLE = 0.1
#: Seconds a target that still counts as running but refuses connections (its
#: listening socket is gone: it is exiting) is watched until it counts as dead.
#: On a loaded machine a killed process can take longer than :data:`SETTLE` to exit.
DYING_WAIT = 2.0
_POLL = 0.05
_REFUSE_TIMEOUT = 1.0


class Supervisor:
    """Restarts ``target`` when it dies and tells which cases it interrupted."""

    def __init__(
        self,
        target: ServerTarget,
        *,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        max_restarts: int = MAX_RESTARTS,
    ) -> None:
        self.target = target
        self.generation = 0
        self.restarts = 0
        self.deaths: list[str] = []
        self._ready_timeout = ready_timeout
        self._max_restarts = max_restarts
        self._lock = asyncio.Lock()
        self.gone: str | None = None

    async def _alive(self) -> bool:
        return await asyncio.to_thread(self.target.alive)

    async def before_case(self) -> int | None:
        """Make sure the target runs (restarting it if needed); return its generation,
        or ``None`` when it is gone for good."""
        async with self._lock:
            if self.gone is None and not await self._alive():
                await self._restart()
            return None if self.gone is not None else self.generation

    async def after_case(self, generation: int, *, suspicious: bool) -> str | None:
        """Return why the case of ``generation`` was interrupted, or ``None`` if it was not.

        ``suspicious`` (the case ended badly) waits :data:`SETTLE` for a dying target.
        """
        alive = await self._alive()
        if alive and suspicious and generation == self.generation:
            await asyncio.sleep(SETTLE)
            alive = await self._alive()
            if alive and await self._refuses():
                alive = await self._alive_after(DYING_WAIT)
        if alive and generation == self.generation:
            return None
        async with self._lock:
            if generation == self.generation and self.gone is None:
                await self._restart()
        index = min(generation, len(self.deaths) - 1)
        death = self.deaths[index] if self.deaths else "it died"
        return f"{self.target.name} died during the case ({death}); the case has no verdict"

    async def _refuses(self) -> bool:
        """Whether the target's port refuses a TCP connection (bounded by a timeout)."""
        parts = urllib.parse.urlsplit(self.target.url)
        if parts.hostname is None:
            return False
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(parts.hostname, port), _REFUSE_TIMEOUT
            )
        except TimeoutError:
            return False  # slow to accept is not refusing
        except OSError:
            return True
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return False

    async def _alive_after(self, limit: float) -> bool:
        """Poll :meth:`_alive` for up to ``limit`` seconds; ``False`` once it is dead."""
        loop = asyncio.get_running_loop()
        end = loop.time() + limit
        while loop.time() < end:
            await asyncio.sleep(_POLL)
            if not await self._alive():
                return False
        return True

    async def _restart(self) -> None:
        self.deaths.append(self.target.exit_reason())
        self.generation += 1
        if self.restarts >= self._max_restarts:
            self.gone = f"{self.target.name} died {len(self.deaths)} times"
            return
        self.restarts += 1
        try:
            await asyncio.to_thread(self.target.restart, self._ready_timeout)
        except TargetError as exc:
            self.gone = f"restart failed: {exc}"
