"""``--target-cmd "..."``: a server started by a command, in its own session.

The command runs in a new session (so its own process group): a Ctrl-C meant for
wsconform does not reach it; wsconform stops the whole group itself, TERM first and
KILL after a grace period, so no child of the command is left behind. Its stdout and
stderr are read into one :class:`~.base.LogBuffer`, which goes into the report
(``docs/targets.md``).

``{port}`` in the command or the URL is replaced by a free port on 127.0.0.1, and the
port is also in the environment as ``WSCONFORM_PORT``; the URL defaults to
``ws://127.0.0.1:{port}/``. A restart reuses the same port.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping, Sequence

from .base import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_STOP_GRACE,
    LogBuffer,
    ServerTarget,
    free_port,
    wait_ready,
)
from .exceptions import TargetError, TargetStartError

__all__ = ["PORT_PLACEHOLDER", "CommandTarget", "describe_status"]

#: Replaced by a free port in the command and the URL.
PORT_PLACEHOLDER = "{port}"

DEFAULT_URL = "ws://127.0.0.1:{port}/"


def describe_status(returncode: int | None) -> str:
    """``0`` -> "exit status 0", ``-9`` -> "killed by SIGKILL"."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


class CommandTarget(ServerTarget):
    """A server that ``command`` starts; reached at ``url``.

    Raises:
        TargetError: (constructor) an empty command, or one that does not parse.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        url: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
        name: str | None = None,
    ) -> None:
        try:
            argv = shlex.split(command) if isinstance(command, str) else list(command)
        except ValueError as exc:
            raise TargetError(f"--target-cmd {command!r}: {exc}") from None
        if not argv:
            raise TargetError("--target-cmd is empty")
        template = url or DEFAULT_URL
        uses_port = any(PORT_PLACEHOLDER in part for part in [*argv, template])
        self.port = free_port() if uses_port else None
        port = str(self.port) if self.port is not None else ""
        self.argv = [part.replace(PORT_PLACEHOLDER, port) for part in argv]
        self._url = template.replace(PORT_PLACEHOLDER, port)
        self.name = name or f"the command {shlex.join(self.argv)!r}"
        self._env = {**os.environ, **(env or {})}
        if self.port is not None:
            self._env["WSCONFORM_PORT"] = port
        self._cwd = cwd
        self._grace = stop_grace
        self._log = LogBuffer()
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return self._url

    @property
    def pid(self) -> int | None:
        """The process id of the running command (its process group id too)."""
        return self._process.pid if self._process is not None else None

    def start(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        if self.starts:
            self._log.add(f"\n[wsconform] restarting {self.name}\n")
        try:
            process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise TargetStartError(self.name, f"cannot be started: {exc.strerror or exc}") from None
        self._process = process
        self.starts += 1
        assert process.stdout is not None
        self._log.follow(process.stdout)
        wait_ready(self._url, self.name, timeout, self.alive, self._log.last_line, self.exit_reason)

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def exit_reason(self) -> str:
        return describe_status(self._process.poll() if self._process else None)

    def logs(self) -> str:
        return self._log.text()

    def kill(self, signum: int = signal.SIGKILL) -> None:
        """Send ``signum`` to the command's process group (tests use it to crash it)."""
        if self._process is not None:
            _signal_group(self._process.pid, signum)

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(self._grace)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(self._grace)
        # Children that outlived the leader are in its group still.
        _signal_group(process.pid, signal.SIGKILL)
        if process.stdout is not None:
            process.stdout.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)
