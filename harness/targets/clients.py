"""Clients under test that the harness starts: a command or a Docker image that runs a
client driver against wsconform's server (for ``test-client``, ``docs/targets.md``).

The client-side counterpart of :class:`~.base.ServerTarget`: a client is given the URL
of our fuzzing server (``{url}`` in its command, and ``WSCONFORM_URL`` in its
environment), runs until it exits (Autobahn's client drivers read ``/getCaseCount``,
run every ``/runCase?case=N&agent=A`` and call ``/updateReports``), and is stopped like
a server target: its process group TERM then KILL after a grace period, a container
stopped and removed. A client is never restarted: its driver decides which case runs
next, so a dead driver's remaining cases are reported as not run (``test-client``).

A container shares the host's network (``network_mode="host"``), so that it reaches
our server on 127.0.0.1, where every server of the harness listens.
"""

from __future__ import annotations

import abc
import contextlib
import math
import os
import secrets
import shlex
import signal
import subprocess
import threading
import time
import types
from collections.abc import Mapping, Sequence
from typing import Any, Self

from .base import DEFAULT_STOP_GRACE, LOG_LIMIT, LogBuffer
from .command import describe_status
from .docker import LABEL, container_state, docker_client
from .exceptions import EngineError, TargetError, TargetStartError

__all__ = ["URL_ENV", "URL_PLACEHOLDER", "ClientTarget", "CommandClient", "DockerClient"]

#: Replaced by our server's URL in a client's command.
URL_PLACEHOLDER = "{url}"
#: The environment variable that holds our server's URL.
URL_ENV = "WSCONFORM_URL"

_POLL = 0.05


class ClientTarget(abc.ABC):
    """A client under test: start it against a URL, watch it, stop it.

    ``name`` says what it is in messages ("the client command 'x'"); ``settle`` is how
    long (seconds) a case that ended badly waits for the client to be seen dead: the
    kernel closes a process's sockets before its exit status can be collected.
    """

    name: str
    settle: float = 0.5

    @abc.abstractmethod
    def start(self, url: str) -> None:
        """Start the client against our server at ``url``; return at once.

        Raises:
            TargetStartError: it cannot be started.
            EngineError: (Docker) no engine, or no such image.
        """

    @abc.abstractmethod
    def alive(self) -> bool:
        """Whether the client still runs."""

    def ending(self) -> bool:
        """Whether the client is seen to be ending although it still counts as running
        (a process whose output pipe closed); the caller then waits for its end."""
        return False

    @abc.abstractmethod
    def exit_reason(self) -> str:
        """How the client ended, in words ("exit status 1", "killed by SIGKILL")."""

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the client to end; whether it did."""
        deadline = time.monotonic() + timeout
        while self.alive():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(_POLL * 4, left))
        return True

    def run(self, url: str, timeout: float) -> str:
        """Start the client, wait up to ``timeout`` seconds for its end (stopping it when
        it runs longer) and return how it ended.

        Raises:
            TargetStartError: it cannot be started.
            EngineError: (Docker) no engine, or no such image.
        """
        self.start(url)
        if not self.wait(timeout):
            self.stop()
            return f"still running after {timeout:g} s: stopped"
        reason = self.exit_reason()
        self.stop()
        return reason

    @abc.abstractmethod
    def logs(self) -> str:
        """The client's output (stdout and stderr, the latest :data:`~.base.LOG_LIMIT`)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the client if it still runs and free its resources (a no-op when done)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        self.stop()


def _fill(parts: Sequence[str], url: str) -> list[str]:
    return [part.replace(URL_PLACEHOLDER, url) for part in parts]


def _split(option: str, command: str | Sequence[str]) -> list[str]:
    try:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
    except ValueError as exc:
        raise TargetError(f"{option} {command!r}: {exc}") from None
    if not argv:
        raise TargetError(f"{option} is empty")
    return argv


class CommandClient(ClientTarget):
    """A client started by ``command`` in its own session (so its own process group).

    Raises:
        TargetError: (constructor) an empty command, or one that does not parse.
    """

    settle = 0.5

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
    ) -> None:
        self._argv = _split("--client-cmd", command)
        self.name = f"the client command {shlex.join(self._argv)!r}"
        self._env = dict(env or {})
        self._cwd = cwd
        self._grace = stop_grace
        self._log = LogBuffer()
        self._reader: threading.Thread | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The process id of the command (its process group id too), once started."""
        return self._process.pid if self._process is not None else None

    def start(self, url: str) -> None:
        try:
            process = subprocess.Popen(
                _fill(self._argv, url),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self._env, URL_ENV: url},
                cwd=self._cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise TargetStartError(self.name, f"cannot be started: {exc.strerror or exc}") from None
        self._process = process
        assert process.stdout is not None
        self._reader = self._log.follow(process.stdout)

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def ending(self) -> bool:
        # Its output pipe reached its end: every process of it that held the pipe exited
        # or is exiting.
        return self._reader is not None and not self._reader.is_alive() and self.alive()

    def wait(self, timeout: float) -> bool:
        if self._process is None:
            return True
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

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
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(self._grace)
        # Children that outlived the leader are in its group still.
        _signal_group(process.pid, signal.SIGKILL)
        if self._reader is not None:
            self._reader.join(self._grace)
        if process.stdout is not None:
            process.stdout.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


class DockerClient(ClientTarget):
    """A client in a container of ``image`` on the host network (so that it reaches our
    server on 127.0.0.1); ``command`` replaces the image's command and may hold
    ``{url}``; the container is named ``wsconform-<run id>`` and always removed.

    Raises:
        TargetError: (constructor) a command that does not parse.
    """

    settle = 1.0

    def __init__(
        self,
        image: str,
        *,
        command: Sequence[str] | str | None = None,
        env: Mapping[str, str] | None = None,
        run_id: str | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
    ) -> None:
        self.image = image
        self.name = f"the client container of {image!r}"
        self.container_name = f"wsconform-{run_id or secrets.token_hex(4)}"
        self._command = None if command is None else _split("--client-command", command)
        self._env = dict(env or {})
        self._grace = max(1, math.ceil(stop_grace))
        self._client: Any = None
        self._container: Any = None
        self._status = "not started"
        self._logs = ""

    @property
    def container_id(self) -> str | None:
        """The id of the container, once created."""
        return self._container.id if self._container is not None else None

    def start(self, url: str) -> None:
        import docker

        self._client = docker_client()
        try:
            self._client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise EngineError(f"no image {self.image!r} in the Docker engine") from None
        except docker.errors.DockerException as exc:
            raise EngineError(f"image {self.image!r}: {_short(exc)}") from None
        command = _fill(self._command, url) if self._command is not None else None
        try:
            self._container = self._client.containers.create(
                self.image,
                command=command,
                environment={**self._env, URL_ENV: url},
                name=self.container_name,
                network_mode="host",
                labels={LABEL: self.container_name},
                detach=True,
            )
            self._container.start()
        except docker.errors.DockerException as exc:
            raise TargetStartError(self.name, f"cannot be started: {_short(exc)}") from None
        self._status = "running"

    def alive(self) -> bool:
        if self._container is None:
            return False
        running, status = container_state(self._container)
        if status is not None:
            self._status = status
        return running

    def exit_reason(self) -> str:
        return self._status

    def logs(self) -> str:
        if self._container is not None:
            with contextlib.suppress(Exception):
                raw: bytes = self._container.logs(stdout=True, stderr=True)
                self._logs = raw.decode("utf-8", "replace")[-LOG_LIMIT:]
        return self._logs

    def kill(self) -> None:
        """SIGKILL the container (tests use it to crash the client)."""
        if self._container is not None:
            self._container.kill()

    def stop(self) -> None:
        """Stop the container (TERM, KILL after the grace period) and remove it."""
        import docker

        container, self._container = self._container, None
        if container is None and self._client is not None:
            # Created but not started (an error in between): found by its name.
            with contextlib.suppress(docker.errors.DockerException):
                container = self._client.containers.get(self.container_name)
        if container is None:
            return
        with contextlib.suppress(docker.errors.DockerException):
            container.reload()
            if container.attrs.get("State", {}).get("Running"):
                container.stop(timeout=self._grace)
        with contextlib.suppress(Exception):
            raw: bytes = container.logs(stdout=True, stderr=True)
            self._logs = raw.decode("utf-8", "replace")[-LOG_LIMIT:]
        self._container = container
        self.alive()  # the exit status, for exit_reason()
        self._container = None
        with contextlib.suppress(docker.errors.DockerException):
            container.remove(force=True)
