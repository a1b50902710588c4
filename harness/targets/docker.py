"""``--docker-image IMAGE``: a server in a container, through the Docker SDK.

The container publishes the server's port (``--docker-port``, 9001 by default, as in
Autobahn's examples) on 127.0.0.1 at a free port, or shares the host's network with
``--docker-network host``; it is named ``wsconform-<run id>`` so that a leftover one
is easy to find. Readiness is a completed WebSocket handshake through the published
port (Docker's proxy accepts TCP before anything listens in the container). A container
that dies is started again; it is always removed at the end, on Ctrl-C and on errors
too (``docs/targets.md``).
"""

from __future__ import annotations

import contextlib
import math
import secrets
import signal
from collections.abc import Mapping, Sequence
from typing import Any

from .base import (
    DEFAULT_READY_TIMEOUT,
    DEFAULT_STOP_GRACE,
    LOG_LIMIT,
    ServerTarget,
    free_port,
    wait_ready,
)
from .exceptions import EngineError, TargetError, TargetStartError

__all__ = ["DEFAULT_CONTAINER_PORT", "LABEL", "DockerTarget", "container_state", "docker_client"]

#: The port the server listens on inside the container, unless told otherwise.
DEFAULT_CONTAINER_PORT = 9001
#: Label on every container wsconform creates (``docker ps --filter label=wsconform``).
LABEL = "wsconform"


def docker_client() -> Any:
    """A client of the Docker engine named by the environment (``DOCKER_HOST``).

    Raises:
        EngineError: no engine answers.
    """
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - a dependency of wsconform
        raise EngineError(f"the docker package is not installed: {exc}") from None
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except docker.errors.DockerException as exc:
        raise EngineError(f"no Docker engine is reachable ({_short(exc)})") from None
    return client


def container_state(container: Any) -> tuple[bool, str | None]:
    """Whether a container runs, and if not how it ended, in words: ``exit status 3``,
    ``killed by SIGKILL``, ``exit status 137, out of memory``; ``removed`` when the
    engine no longer knows it. The status is ``None`` while it runs."""
    import docker

    try:
        container.reload()
    except docker.errors.DockerException:
        return False, "removed"
    state = container.attrs.get("State", {})
    if state.get("Running"):
        return True, None
    code = state.get("ExitCode")
    status = f"exit status {code}" if code is not None else "stopped"
    if state.get("OOMKilled"):
        status += ", out of memory"
    elif isinstance(code, int) and code > 128:
        with contextlib.suppress(ValueError):
            status = f"killed by {signal.Signals(code - 128).name}"
    return False, status


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."


class DockerTarget(ServerTarget):
    """A container of ``image`` running the server under test.

    ``command`` replaces the image's command; ``env`` is added to its environment;
    ``network="host"`` uses the host network (the server must then listen on
    ``port`` on 127.0.0.1 itself), otherwise ``port`` is published on 127.0.0.1.
    ``path`` is the URL path (``/`` by default).
    """

    def __init__(
        self,
        image: str,
        *,
        port: int = DEFAULT_CONTAINER_PORT,
        command: str | Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        network: str | None = None,
        path: str = "/",
        run_id: str | None = None,
        stop_grace: float = DEFAULT_STOP_GRACE,
    ) -> None:
        if not 0 < port < 65536:
            raise TargetError(f"--docker-port must be a TCP port, not {port}")
        self.image = image
        self.name = f"the container of {image!r}"
        self.container_name = f"wsconform-{run_id or secrets.token_hex(4)}"
        self._port = port
        self._command = command
        self._env = dict(env or {})
        self._network = network
        self._host_port = port if network == "host" else free_port()
        self._url = f"ws://127.0.0.1:{self._host_port}{path}"
        self._grace = stop_grace
        self._client: Any = None
        self._container: Any = None
        self._status: str = "not started"
        self._earlier_logs = ""

    @property
    def url(self) -> str:
        return self._url

    @property
    def container_id(self) -> str | None:
        """The id of the current container, once created."""
        return self._container.id if self._container is not None else None

    def start(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        import docker

        if self._client is None:
            self._client = docker_client()
        if self._container is None:
            try:
                self._client.images.get(self.image)
            except docker.errors.ImageNotFound:
                raise EngineError(f"no image {self.image!r} in the Docker engine") from None
            except docker.errors.DockerException as exc:
                raise EngineError(f"image {self.image!r}: {_short(exc)}") from None
            ports = None if self._network == "host" else {
                f"{self._port}/tcp": ("127.0.0.1", self._host_port)
            }  # fmt: skip
            try:
                self._container = self._client.containers.create(
                    self.image,
                    command=self._command,
                    environment=self._env,
                    name=self.container_name,
                    ports=ports,
                    network_mode=self._network,
                    labels={LABEL: self.container_name},
                    detach=True,
                )
            except docker.errors.DockerException as exc:
                raise TargetStartError(self.name, f"cannot be created: {_short(exc)}") from None
        try:
            self._container.start()
        except docker.errors.DockerException as exc:
            raise TargetStartError(self.name, f"cannot be started: {_short(exc)}") from None
        wait_ready(self._url, self.name, timeout, self.alive, self._last_line, self.exit_reason)

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
        import docker

        if self._container is None:
            return self._earlier_logs
        try:
            raw: bytes = self._container.logs(stdout=True, stderr=True)
        except docker.errors.DockerException:
            return self._earlier_logs
        self._earlier_logs = raw.decode("utf-8", "replace")[-LOG_LIMIT:]
        return self._earlier_logs

    def _last_line(self) -> str:
        lines = [line.strip() for line in self.logs().splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def restart(self, timeout: float = DEFAULT_READY_TIMEOUT) -> None:
        """Start the same container again (its logs continue; the port stays)."""
        import docker

        if self._container is not None:
            try:
                self._container.stop(timeout=self._stop_seconds)
            except docker.errors.NotFound:
                self._container = None
        self.start(timeout)

    @property
    def _stop_seconds(self) -> int:
        # The engine takes whole seconds between TERM and KILL.
        return max(1, math.ceil(self._grace))

    def kill(self) -> None:
        """SIGKILL the container (tests use it to crash the target)."""
        if self._container is not None:
            self._container.kill()

    def stop(self) -> None:
        """Stop the container (TERM, KILL after the grace period) and remove it."""
        import docker

        container, self._container = self._container, None
        if container is None and self._client is not None:
            # Created but lost track of (an error between create and start): by name.
            with contextlib.suppress(docker.errors.DockerException):
                container = self._client.containers.get(self.container_name)
        if container is None:
            return
        try:
            raw: bytes = container.logs(stdout=True, stderr=True)
            self._earlier_logs = raw.decode("utf-8", "replace")[-LOG_LIMIT:]
        except docker.errors.DockerException:
            pass
        with contextlib.suppress(docker.errors.DockerException):
            container.stop(timeout=self._stop_seconds)
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)
