"""A plain URL: a server someone else started (today's ``test-server URL``)."""

from __future__ import annotations

from .base import DEFAULT_READY_TIMEOUT, ServerTarget

__all__ = ["UrlTarget"]


class UrlTarget(ServerTarget):
    """A server already running at ``url``; the harness neither starts nor stops it.

    :meth:`start` checks nothing: ``test-server`` probes the URL itself and says why
    it cannot be used (unreachable, not a WebSocket server).
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self.name = url

    @property
    def url(self) -> str:
        return self._url

    def start(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        """Nothing to start."""

    def alive(self) -> bool:
        return True

    def exit_reason(self) -> str:
        return "not started by wsconform"

    def logs(self) -> str:
        return ""

    def stop(self) -> None:
        """Nothing to stop."""

    @property
    def restartable(self) -> bool:
        return False
