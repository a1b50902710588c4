"""``wsconform test-server --spec fuzzingclient.json``: Autobahn's spec file, as it is.

Autobahn's ``wstest -m fuzzingclient -s fuzzingclient.json`` reads a JSON file that
names the servers (agents) to test and the cases to run (Autobahn's
``autobahn/wamp/../fuzzing.py``, ``FuzzingFactory.__init__``)::

    {
      "outdir": "./reports/servers",
      "options": {"failByDrop": false},
      "servers": [{"agent": "MyServer", "url": "ws://127.0.0.1:9001", "options": {}}],
      "cases": ["*"],
      "exclude-cases": ["9.*"],
      "exclude-agent-cases": {"MyServer": ["12.*"]}
    }

Every server runs in turn into one report and one output directory, and the gate judges
them together (``docs/migrating-from-autobahn.md``). ``options`` are accepted and not
used: Autobahn's ``failByDrop`` and ``version`` have no counterpart (a drop is judged as
in Autobahn's default, and only RFC 6455 is spoken). ``exclude-agent-cases`` keys are
agent name patterns, as in Autobahn."""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import pathlib
from typing import Any

__all__ = [
    "SPEC_KEYS",
    "AgentExclusions",
    "Server",
    "Spec",
    "SpecError",
    "agent_exclusions",
    "case_patterns",
    "excluded_patterns",
    "load_spec",
    "read_spec",
]

#: The keys of a fuzzingclient spec file; others are an error naming them.
SPEC_KEYS = frozenset({"outdir", "options", "servers", "cases", "exclude-cases",
                       "exclude-agent-cases"})  # fmt: skip
_SERVER_KEYS = frozenset({"agent", "url", "options"})


#: ``exclude-agent-cases``: (agent name pattern, case patterns) pairs.
AgentExclusions = tuple[tuple[str, tuple[str, ...]], ...]


class SpecError(Exception):
    """A spec file cannot be used; a one-line message naming the file and the key."""


@dataclasses.dataclass(frozen=True, slots=True)
class Server:
    """One ``servers`` entry: an agent name and its URL."""

    agent: str
    url: str


@dataclasses.dataclass(frozen=True, slots=True)
class Spec:
    """What a fuzzingclient spec file asks for."""

    servers: tuple[Server, ...]
    cases: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    exclude_agent: AgentExclusions = ()
    outdir: str | None = None

    def excluded(self, agent: str) -> list[str]:
        """The exclusions for ``agent``: ``exclude-cases`` plus its matching entries."""
        return excluded_patterns(self.exclude, self.exclude_agent, agent)


def excluded_patterns(
    exclude: tuple[str, ...], exclude_agent: AgentExclusions, agent: str
) -> list[str]:
    """``exclude`` plus the patterns of every ``exclude-agent-cases`` key that matches
    ``agent`` (keys are agent name patterns, as in Autobahn)."""
    extra = [p for key, ps in exclude_agent if fnmatch.fnmatchcase(agent, key) for p in ps]
    return [*exclude, *extra]


def case_patterns(path: pathlib.Path, data: dict[str, Any], key: str) -> tuple[str, ...]:
    """The list of case patterns under ``key`` (empty when absent).

    Raises:
        SpecError: the value is not a list of strings.
    """
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{path}: {key} must be a list of case patterns")
    return tuple(value)


def agent_exclusions(path: pathlib.Path, data: dict[str, Any]) -> AgentExclusions:
    """``exclude-agent-cases``: agent name patterns and their case patterns.

    Raises:
        SpecError: not an object of lists of strings.
    """
    agents = data.get("exclude-agent-cases", {})
    if not isinstance(agents, dict):
        raise SpecError(f"{path}: exclude-agent-cases must be an object")
    exclude_agent = []
    for key, value in agents.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{path}: exclude-agent-cases.{key} must be a list of case patterns")
        exclude_agent.append((key, tuple(value)))
    return tuple(exclude_agent)


def read_spec(path: pathlib.Path, keys: frozenset[str]) -> dict[str, Any]:
    """The JSON object of a spec file, whose keys must all be among ``keys``.

    Raises:
        SpecError: unreadable, not JSON, not an object, or an unknown key.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: not a spec file (a JSON object)")
    unknown = sorted(set(data) - keys)
    if unknown:
        raise SpecError(f"{path}: unknown key {unknown[0]!r}")
    return data


def load_spec(path: pathlib.Path | str) -> Spec:
    """Read a fuzzingclient spec file.

    Raises:
        SpecError: unreadable, not JSON, an unknown key, or a value of the wrong shape.
    """
    path = pathlib.Path(path)
    data = read_spec(path, SPEC_KEYS)
    servers = data.get("servers")
    if not isinstance(servers, list) or not servers:
        raise SpecError(f"{path}: servers must be a non-empty list")
    parsed: list[Server] = []
    for index, server in enumerate(servers):
        where = f"servers[{index}]"
        if not isinstance(server, dict):
            raise SpecError(f"{path}: {where} must be an object")
        extra = sorted(set(server) - _SERVER_KEYS)
        if extra:
            raise SpecError(f"{path}: unknown key {where}.{extra[0]}")
        agent, url = server.get("agent"), server.get("url")
        if not isinstance(agent, str) or not agent.strip():
            raise SpecError(f"{path}: {where}.agent must be a name")
        if not isinstance(url, str):
            raise SpecError(f"{path}: {where}.url must be a ws:// or wss:// URL")
        if agent in {s.agent for s in parsed}:
            raise SpecError(f"{path}: agent {agent!r} is listed twice")
        parsed.append(Server(agent, url))
    exclude_agent = agent_exclusions(path, data)
    outdir = data.get("outdir")
    if outdir is not None and not isinstance(outdir, str):
        raise SpecError(f"{path}: outdir must be a directory name")
    if not isinstance(data.get("options", {}), dict):
        raise SpecError(f"{path}: options must be an object")
    return Spec(
        servers=tuple(parsed),
        cases=case_patterns(path, data, "cases") if "cases" in data else ("*",),
        exclude=case_patterns(path, data, "exclude-cases"),
        exclude_agent=exclude_agent,
        outdir=outdir,
    )
