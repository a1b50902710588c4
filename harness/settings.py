"""Configuration files: ``wsconform.toml`` or ``[tool.wsconform]`` in ``pyproject.toml``.

The file is looked for in the working directory and its parents (the first
``wsconform.toml``, or ``pyproject.toml`` with a ``[tool.wsconform]`` table, wins);
``--config FILE`` names one (``docs/configuration.md``). Its values are the defaults of
the command's options, so a flag on the command line overrides the file. An unknown key
or a value of the wrong type is a one-line error naming it (exit 2)::

    agent = "my-server"
    cases = ["1.*", "2.*"]
    exclude = ["12.*", "13.*"]
    outdir = "reports/servers"
    formats = ["json", "junit"]
    jobs = 4
    shard = "1/4"
    strict = true

    [target]            # one of url, command, docker-image
    command = "my-server --port {port}"
    env = { LOG_LEVEL = "debug" }
    ready-timeout = 30

    [timers]
    connect-timeout = 10
    open-timeout = 5
    close-timeout = 1
    drop-timeout = 1

    [gate]
    fail-on = "non-strict"
    baseline = "ci/baseline.json"

    [fuzz]              # wsconform fuzz's own; it reads nothing else
    seed = 3
    max-examples = 500

A table of :data:`COMMAND_TABLES` belongs to one command (``config_table`` of its
parser's defaults): that command reads only it, the others only the rest; every key of
every table is checked all the same.
"""

from __future__ import annotations

import argparse
import pathlib
import tomllib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "COMMAND_TABLES",
    "CONFIG_FILE",
    "KEYS",
    "ConfigError",
    "apply_config",
    "find_config",
    "load_config",
]

CONFIG_FILE = "wsconform.toml"


class ConfigError(Exception):
    """A configuration file cannot be read or holds a bad key; a one-line message."""


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a string")
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError("a string or a list of strings")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("a number")
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("an integer")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true or false")
    return value


def _env(value: Any) -> list[str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError("a table of strings")
    return [f"{name}={text}" for name, text in value.items()]


def _formats(value: Any) -> tuple[str, ...]:
    from wsconform.harness.report.render import parse_formats

    try:
        return parse_formats(",".join(_strings(value)))
    except argparse.ArgumentTypeError as exc:
        raise TypeError(str(exc)) from None


def _fail_on(value: Any) -> str:
    from wsconform.harness.gate import FAIL_ON

    if value not in FAIL_ON:
        raise TypeError(f"one of {', '.join(FAIL_ON)}")
    return str(value)


def _catalog(value: Any) -> str:
    if value not in ("autobahn", "wsconform", "all"):
        raise TypeError('one of "autobahn", "wsconform", "all"')
    return str(value)


def _tolerate(value: Any) -> list[str]:
    from wsconform.harness.fuzz.deviations import DEVIATIONS

    names = _strings(value)
    unknown = [name for name in names if name not in DEVIATIONS]
    if unknown:
        raise TypeError(f"known deviations ({', '.join(DEVIATIONS)}), not {unknown[0]!r}")
    return names


def _network(value: Any) -> str:
    if value != "host":
        raise TypeError('"host"')
    return "host"


#: Every key: (table or "" for the top level, key) -> (option dest, converter).
KEYS: dict[tuple[str, str], tuple[str, Callable[[Any], Any]]] = {
    ("", "agent"): ("agent", _string),
    ("", "catalog"): ("catalog", _catalog),
    ("", "cases"): ("cases", _strings),
    ("", "exclude"): ("exclude", _strings),
    ("", "outdir"): ("outdir", _string),
    ("", "formats"): ("formats", _formats),
    ("", "jobs"): ("jobs", _integer),
    ("", "testdata"): ("testdata", _string),
    ("", "quiet"): ("quiet", _boolean),
    ("", "shard"): ("shard", _string),
    ("", "strict"): ("strict", _boolean),
    ("target", "url"): ("url", _string),
    ("target", "command"): ("target_cmd", _string),
    ("target", "docker-image"): ("docker_image", _string),
    ("target", "docker-port"): ("docker_port", _integer),
    ("target", "docker-command"): ("docker_command", _string),
    ("target", "docker-network"): ("docker_network", _network),
    ("target", "env"): ("target_env", _env),
    ("target", "ready-timeout"): ("ready_timeout", _number),
    ("target", "stop-grace"): ("stop_grace", _number),
    ("target", "insecure"): ("insecure", _boolean),
    ("target", "cafile"): ("cafile", _string),
    ("timers", "connect-timeout"): ("connect_timeout", _number),
    ("timers", "open-timeout"): ("open_timeout", _number),
    ("timers", "close-timeout"): ("close_timeout", _number),
    ("timers", "drop-timeout"): ("drop_timeout", _number),
    ("gate", "fail-on"): ("fail_on", _fail_on),
    ("gate", "baseline"): ("baseline", _string),
    ("fuzz", "seed"): ("seed", _integer),
    ("fuzz", "max-examples"): ("max_examples", _integer),
    ("fuzz", "time-budget"): ("time_budget", _number),
    ("fuzz", "shrink-budget"): ("shrink_budget", _number),
    ("fuzz", "jobs"): ("jobs", _integer),
    ("fuzz", "kill-after"): ("kill_after", _number),
    ("fuzz", "database"): ("database", _string),
    ("fuzz", "corpus"): ("corpus", _string),
    ("fuzz", "outdir"): ("outdir", _string),
    ("fuzz", "formats"): ("formats", _formats),
    ("fuzz", "tolerate"): ("tolerate", _tolerate),
    ("fuzz", "agent"): ("agent", _string),
    ("fuzz", "length-mutations"): ("length_mutations", _boolean),
}
_TABLES = {table for table, _ in KEYS if table}
#: Tables that belong to one command (``wsconform fuzz``), which reads nothing else.
COMMAND_TABLES = frozenset({"fuzz"})


def find_config(start: pathlib.Path | None = None) -> tuple[pathlib.Path, bool] | None:
    """The configuration file for ``start`` (default: the working directory) and its
    parents, with whether it is a ``pyproject.toml``; ``None`` when there is none."""
    here = (start or pathlib.Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, False
        project = folder / "pyproject.toml"
        if project.is_file():
            try:
                data = tomllib.loads(project.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if isinstance(data.get("tool"), dict) and "wsconform" in data["tool"]:
                return project, True
    return None


def load_config(path: pathlib.Path, pyproject: bool = False, table: str = "") -> dict[str, Any]:
    """The option values of a configuration file, by option dest: those of ``table``
    (one of :data:`COMMAND_TABLES`), or with ``""`` those of every other table.

    Raises:
        ConfigError: unreadable, not TOML, an unknown key or a value of the wrong type.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not TOML ({exc})") from None
    scope = table
    prefix = ""
    if pyproject:
        data = data.get("tool", {}).get("wsconform", {})
        prefix = "tool.wsconform."
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.')}] must be a table")
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in _TABLES:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: {prefix}{key} must be a table")
            items: Mapping[str, Any] = value
            table = key
        else:
            items, table = {key: value}, ""
        for name, item in items.items():
            where = f"{prefix}{table + '.' if table else ''}{name}"
            if (table, name) not in KEYS:
                raise ConfigError(f"{path}: unknown key {where!r}")
            dest, convert = KEYS[(table, name)]
            try:
                converted = convert(item)
            except TypeError as exc:
                raise ConfigError(f"{path}: {where} must be {exc}") from None
            if (table if table in COMMAND_TABLES else "") == scope:
                values[dest] = converted
    return values


class _Unset(list[Any]):
    """Marks an option the command line did not give."""


def apply_config(
    args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str]
) -> argparse.Namespace:
    """``args`` with the configuration file's values where ``argv`` gave no flag.

    The file is ``args.config`` when given, else the one :func:`find_config` finds.
    Keys the command has no option for are an error too. ``args.config_table`` names
    the command's own table (see :func:`load_config`).

    Raises:
        ConfigError: see :func:`load_config`.
    """
    named: str | None = getattr(args, "config", None)
    if named is not None:
        path, pyproject = pathlib.Path(named), pathlib.Path(named).name == "pyproject.toml"
    else:
        found = find_config()
        if found is None:
            return args
        path, pyproject = found
    values = load_config(path, pyproject, getattr(args, "config_table", ""))
    # Options given on the command line: argparse sets no default over a value that
    # is already in the namespace, so the marked ones left are those not given.
    # (An empty list subclass: ``append`` options copy and extend what they find.)
    unset = {dest: _Unset() for dest in vars(args)}
    # An optional positional (URL) is always set, to its default when it is left out.
    given = parser.parse_args(list(argv), argparse.Namespace(**unset))
    positionals = {action.dest for action in parser._actions if not action.option_strings}
    for dest, value in values.items():
        if not hasattr(args, dest):
            raise ConfigError(f"{path}: {dest.replace('_', '-')} is not an option of this command")
        seen = getattr(given, dest, None)
        left_out = seen == parser.get_default(dest) if dest in positionals else not seen
        if left_out and (dest in positionals or isinstance(seen, _Unset)):
            setattr(args, dest, value)
    return args
