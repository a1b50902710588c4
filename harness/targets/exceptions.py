"""Errors of the targets the harness starts.

::

    TargetError                  a target cannot be used; the message says why
    ├── TargetStartError         it did not start or never completed a handshake
    └── EngineError              the Docker engine is unreachable or lacks the image
"""

from __future__ import annotations

__all__ = ["EngineError", "TargetError", "TargetStartError"]


class TargetError(Exception):
    """A target cannot be used; ``str()`` is a one-line message."""


class TargetStartError(TargetError):
    """The target exited, or did not complete a WebSocket handshake in time.

    ``log_tail`` holds the last line it wrote (empty when it wrote nothing).
    """

    def __init__(self, name: str, reason: str, log_tail: str = "") -> None:
        super().__init__(name, reason, log_tail)
        self.name = name
        self.reason = reason
        self.log_tail = log_tail

    def __str__(self) -> str:
        tail = f": {self.log_tail}" if self.log_tail else ""
        return f"{self.name} {self.reason}{tail}"


class EngineError(TargetError):
    """No Docker engine is reachable, or the image is missing."""
