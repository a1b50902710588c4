"""The command-line options that choose a target's kind, shared by the commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .base import DEFAULT_READY_TIMEOUT, DEFAULT_STOP_GRACE, ServerTarget
from .command import CommandTarget
from .docker import DEFAULT_CONTAINER_PORT, DockerTarget
from .exceptions import TargetError
from .url import UrlTarget

__all__ = ["add_target_arguments", "build_target", "parse_env"]


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    """``--target-cmd``, ``--docker-image`` and their options."""
    group = parser.add_argument_group("targets wsconform starts (docs/targets.md)")
    kinds = group.add_mutually_exclusive_group()
    kinds.add_argument(
        "--target-cmd",
        metavar="COMMAND",
        help="start the server with COMMAND ({port} is a free port); URL defaults to "
        "ws://127.0.0.1:{port}/",
    )
    kinds.add_argument("--docker-image", metavar="IMAGE", help="run the server from IMAGE")
    group.add_argument(
        "--docker-port",
        type=int,
        default=DEFAULT_CONTAINER_PORT,
        help="the server's port inside the container (default: %(default)s)",
    )
    group.add_argument("--docker-command", metavar="COMMAND", help="the container's command")
    group.add_argument("--docker-network", choices=("host",), help="host: share the host's network")
    group.add_argument(
        "--env",
        dest="target_env",
        action="append",
        metavar="NAME=VALUE",
        help="environment of the command or container (repeatable)",
    )
    group.add_argument(
        "--run-id",
        metavar="ID",
        help="name the container wsconform-ID (default: random hex digits)",
    )
    group.add_argument(
        "--ready-timeout",
        type=float,
        default=DEFAULT_READY_TIMEOUT,
        help="seconds until the first WebSocket handshake (default: %(default)s)",
    )
    group.add_argument(
        "--stop-grace",
        type=float,
        default=DEFAULT_STOP_GRACE,
        help="seconds between TERM and KILL when stopping (default: %(default)s)",
    )


def parse_env(values: Sequence[str] | None) -> dict[str, str]:
    """``["A=1", "B=2"]`` -> ``{"A": "1", "B": "2"}``.

    Raises:
        TargetError: an item without ``=`` or with an empty name.
    """
    env: dict[str, str] = {}
    for item in values or ():
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise TargetError(f"--env {item!r}: expected NAME=VALUE")
        env[name] = value
    return env


def build_target(args: argparse.Namespace, run_id: str | None = None) -> ServerTarget:
    """The target the options name (not started yet).

    Raises:
        TargetError: no URL and no target to start, or bad target options.
    """
    env = parse_env(getattr(args, "target_env", None))
    url: str | None = args.url
    if args.target_cmd is not None:
        return CommandTarget(args.target_cmd, url, env=env, stop_grace=args.stop_grace)
    if args.docker_image is not None:
        if url is not None:
            raise TargetError("--docker-image gives the URL itself: leave URL out")
        return DockerTarget(
            args.docker_image,
            port=args.docker_port,
            command=args.docker_command,
            env=env,
            network=args.docker_network,
            run_id=run_id or args.run_id,
            stop_grace=args.stop_grace,
        )
    if url is None:
        raise TargetError("give a URL, --target-cmd or --docker-image")
    return UrlTarget(url)
