"""Clients under test that the harness starts: a command or a Docker image that runs a
client driver against wsconform's server (for ``test-client``, ``docs/targets.md``).

The server-side counterpart of :class:`~.base.ServerTarget`: a client run is given the
URL of our server (``{url}`` in its command, and ``WSCONFORM_URL`` in its environment),
runs until it exits (Autobahn's client drivers fetch ``/getCaseCount``, run every
``/runCase?case=N&agent=A`` and call ``/updateReports``), and is stopped like a server
target: its process group TERM then KILL after a grace period, a container removed.
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
from collections.abc import Mapping, Sequence
from typing import Any

from .base import DEFAULT_STOP_GRACE, LOG_LIMIT, LogBuffer
from .command import describe_status
from .docker import LABEL, docker_client
from .exceptions import EngineError, TargetError, TargetStartError

__all__ = ["URL_PLACEHOLDER", "ClientTarget", "CommandClient", "DockerClient"]

#: Replaced by our server's URL in a client's command.
URL_PLACEHOLDER = "{url}"


class ClientTarget(abc.ABC):
    """A client under test: run it against ``url`` until it ends; logs; stop."""

    name: str

    @abc.abstractmethod
    def run(self, url: str, timeout: float) -> str:
        """Run the client against our server at ``url``; return how it ended
        ("exit status 0"). A client still running after ``timeout`` is stopped.

        Raises:
            TargetStartError: it cannot be started.
            EngineError: (Docker) no engine, or no such image.
        """

    @abc.abstractmethod
    def logs(self) -> str:
        """The client's output (stdout and stderr, the latest :data:`~.base.LOG_LIMIT`)."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop the client if it still runs and free its resources."""


def _fill(parts: Sequence[str], url: str) -> list[str]:
    return [part.replace(URL_PLACEHOLDER, url) for part in parts]


class CommandClient(ClientTarget):
    """A client started by ``command`` in its own session.

    Raises:
        TargetError: (constructor) an empty command, or one that does not parse.
    """

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
    ) -> None:
        try:
            argv = shlex.split(command) if isinstance(command, str) else list(command)
        except ValueError as exc:
            raise TargetError(f"client command {command!r}: {exc}") from None
        if not argv:
            raise TargetError("the client command is empty")
        self._argv = argv
        self.name = f"the client command {shlex.join(argv)!r}"
        self._env = dict(env or {})
        self._grace = stop_grace
        self._log = LogBuffer()
        self._process: subprocess.Popen[bytes] | None = None

    def run(self, url: str, timeout: float) -> str:
        try:
            process = subprocess.Popen(
                _fill(self._argv, url),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self._env, "WSCONFORM_URL": url},
                start_new_session=True,
            )
        except OSError as exc:
            raise TargetStartError(self.name, f"cannot be started: {exc.strerror or exc}") from None
        self._process = process
        assert process.stdout is not None
        reader = self._log.follow(process.stdout)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return f"still running after {timeout:g} s: stopped"
        reader.join(self._grace)
        return describe_status(process.returncode)

    def logs(self) -> str:
        return self._log.text()

    def stop(self) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(self._grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(self._grace)


class DockerClient(ClientTarget):
    """A client in a container of ``image`` on the host network (so that it reaches our
    server on 127.0.0.1); ``command`` may hold ``{url}``. Always removed."""

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
        self._command = shlex.split(command) if isinstance(command, str) else command
        self._env = dict(env or {})
        self._grace = max(1, math.ceil(stop_grace))
        self._container: Any = None
        self._logs = ""

    def run(self, url: str, timeout: float) -> str:
        import docker

        client = docker_client()
        try:
            client.images.get(self.image)
        except docker.errors.ImageNotFound:
            raise EngineError(f"no image {self.image!r} in the Docker engine") from None
        command = _fill(self._command, url) if self._command is not None else None
        try:
            self._container = client.containers.run(
                self.image,
                command=command,
                environment={**self._env, "WSCONFORM_URL": url},
                name=self.container_name,
                network_mode="host",
                labels={LABEL: self.container_name},
                detach=True,
            )
        except docker.errors.DockerException as exc:
            raise TargetStartError(self.name, f"cannot be started: {exc}") from None
        try:
            status = self._container.wait(timeout=timeout)
        except Exception:  # the SDK raises the transport's timeout: requests' or urllib3's
            self.stop()
            return f"still running after {timeout:g} s: stopped"
        return f"exit status {status.get('StatusCode')}"

    def logs(self) -> str:
        if self._container is not None:
            with contextlib.suppress(Exception):
                raw: bytes = self._container.logs(stdout=True, stderr=True)
                self._logs = raw.decode("utf-8", "replace")[-LOG_LIMIT:]
        return self._logs

    def stop(self) -> None:
        import docker

        container = self._container
        if container is None:
            return
        self.logs()
        self._container = None
        with contextlib.suppress(docker.errors.DockerException):
            container.stop(timeout=self._grace)
        with contextlib.suppress(docker.errors.DockerException):
            container.remove(force=True)
