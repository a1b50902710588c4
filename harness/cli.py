"""The ``wsconform`` command line.

Each sub-command lives in its own module, listed in :data:`COMMAND_MODULES`; a module
exposes ``register(subparsers)``, which adds its parsers and sets ``handler`` on them to
a function ``(argparse.Namespace) -> int`` returning the exit code.

Exit codes shared by every sub-command: 0 success, 1 the target failed (a verdict),
2 bad usage or a harness error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from wsconform import __version__
from wsconform.reference.asyncio import loop as event_loop
from wsconform.reference.protocol.extensions import codec

__all__ = ["COMMAND_MODULES", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

COMMAND_MODULES: tuple[str, ...] = (
    "wsconform.harness.commands.conformance",
    "wsconform.reference.cli",
    "wsconform.harness.commands.test_server",
    "wsconform.harness.commands.test_client",
    "wsconform.harness.commands.compare",
    "wsconform.harness.commands.cases",
    "wsconform.harness.commands.merge",
    "wsconform.harness.commands.fuzz",
)


def _version() -> str:
    """The version, this process's permessage-deflate back end (``WSCONFORM_DEFLATE``)
    and its event loop (``WSCONFORM_LOOP``)."""
    try:
        backend = codec.current()
    except codec.CodecError as exc:
        deflate = str(exc)
    else:
        deflate = f"{backend.name} {backend.version}"
    return f"wsconform {__version__} (deflate: {deflate}; loop: {event_loop.describe()})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsconform",
        description="WebSocket conformance and fuzz testing (RFC 6455, RFC 7692).",
    )
    parser.add_argument("--version", action="version", version=_version())
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        codec.current()
    except codec.CodecError as exc:
        print(f"wsconform: {exc} ({codec.ENV_VAR})", file=sys.stderr)
        return EXIT_USAGE
    try:
        event_loop.choose()
    except event_loop.LoopError as exc:
        print(f"wsconform: {exc} ({event_loop.ENV_VAR})", file=sys.stderr)
        return EXIT_USAGE
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    parser_of = getattr(args, "command_parser", None)
    if parser_of is not None:
        from wsconform.harness.settings import ConfigError, apply_config

        words = list(sys.argv[1:] if argv is None else argv)
        try:
            args = apply_config(args, parser_of, words[words.index(args.command) + 1 :])
        except ConfigError as exc:
            print(f"wsconform {args.command}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        print("wsconform: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
