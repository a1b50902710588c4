"""Targets the harness starts itself: a plain URL, a command, a Docker image.

Every kind implements :class:`~.base.ServerTarget` (start and wait until ready, URL,
alive, restart, logs, stop); :class:`~.supervisor.Supervisor` watches one during a run
so that a target that dies costs the interrupted cases a harness error, not a verdict.
"""

from __future__ import annotations

__all__: list[str] = []
