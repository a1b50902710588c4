"""``wsconform test-client --spec fuzzingserver.json``: Autobahn's spec file, as it is.

Autobahn's ``wstest -m fuzzingserver -s fuzzingserver.json`` reads a JSON file that
says where its fuzzing server listens and which cases it serves (Autobahn's
``autobahntestsuite/fuzzing.py``, ``FuzzingServerFactory``)::

    {
      "url": "ws://127.0.0.1:9001",
      "outdir": "./reports/clients",
      "options": {"failByDrop": false},
      "webport": 8080,
      "cases": ["*"],
      "exclude-cases": ["9.*"],
      "exclude-agent-cases": {"MyClient*": ["12.*"]}
    }

``url`` gives the port only: the server listens on ``--host`` (127.0.0.1 by default).
``cases`` and ``exclude-cases`` choose what ``/getCaseCount`` counts; a case that
``exclude-agent-cases`` names for an agent (keys are agent name patterns) is not run
for it: its ``/runCase`` connection is opened and closed at once, as in Autobahn, and
it has no entry in the reports. ``options`` are accepted and not used (as for
``fuzzingclient.json``, :mod:`.spec`); ``webport`` (Autobahn's old report web server)
is accepted and ignored; ``protocols`` is a list of subprotocol names the server
agrees to: on every endpoint it selects the first of the client's offered ones that is
in the list, else none (RFC 6455 section 4.2.2). A ``wss://`` URL serves TLS with the
certificate chain ``cert`` and its private key ``key`` (PEM files, as Autobahn reads
them; both needed with ``wss://`` and only with it). Unknown keys are an error naming
the key
(``docs/migrating-from-autobahn.md``).
"""

from __future__ import annotations

import dataclasses
import pathlib
import urllib.parse

from .spec import (
    AgentExclusions,
    SpecError,
    agent_exclusions,
    case_patterns,
    excluded_patterns,
    read_spec,
)

__all__ = ["SERVER_SPEC_KEYS", "ServerSpec", "load_server_spec"]

#: The keys of a fuzzingserver spec file; others are an error naming them.
SERVER_SPEC_KEYS = frozenset({"url", "outdir", "options", "webport", "protocols", "cases",
                              "exclude-cases", "exclude-agent-cases", "key", "cert"})  # fmt: skip


@dataclasses.dataclass(frozen=True, slots=True)
class ServerSpec:
    """What a fuzzingserver spec file asks for (``port`` ``None``: no ``url``)."""

    port: int | None = None
    cases: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    exclude_agent: AgentExclusions = ()
    outdir: str | None = None
    protocols: tuple[str, ...] = ()
    #: ``wss://``: the PEM certificate chain and private key files; else ``None``.
    tls: tuple[str, str] | None = None

    def excluded(self, agent: str) -> list[str]:
        """The exclusions for ``agent``: ``exclude-cases`` plus its matching entries."""
        return excluded_patterns(self.exclude, self.exclude_agent, agent)

    def agent_excluded(self, agent: str) -> list[str]:
        """The ``exclude-agent-cases`` patterns that apply to ``agent`` alone."""
        return excluded_patterns((), self.exclude_agent, agent)


def _port(path: pathlib.Path, url: object) -> tuple[int, bool]:
    """The port of ``url`` (its scheme's default when none is given) and whether it is
    ``wss://``."""
    if not isinstance(url, str):
        raise SpecError(f"{path}: url must be a ws:// or wss:// URL")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SpecError(f"{path}: url {url!r}: {exc}") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise SpecError(f"{path}: url {url!r} is not a ws:// or wss:// URL")
    secure = parts.scheme == "wss"
    return (port if port is not None else 443 if secure else 80), secure


def _tls(path: pathlib.Path, data: dict[str, object], secure: bool) -> tuple[str, str] | None:
    """The (cert, key) files of a ``wss://`` spec; ``None`` for ``ws://``."""
    given = {key: data[key] for key in ("cert", "key") if key in data}
    for key, value in given.items():
        if not isinstance(value, str) or not value:
            raise SpecError(f"{path}: {key} must be the name of a PEM file")
    if not secure:
        if given:
            raise SpecError(f"{path}: {min(given)} is for a wss:// url, not ws://")
        return None
    missing = [key for key in ("cert", "key") if key not in given]
    if missing:
        raise SpecError(f"{path}: a wss:// url needs {' and '.join(missing)} (PEM files)")
    return str(given["cert"]), str(given["key"])


def load_server_spec(path: pathlib.Path | str) -> ServerSpec:
    """Read a fuzzingserver spec file.

    Raises:
        SpecError: unreadable, not JSON, an unknown key, ``wss://`` without its
            ``cert`` and ``key`` (or those with ``ws://``), or a value of the wrong shape.
    """
    path = pathlib.Path(path)
    data = read_spec(path, SERVER_SPEC_KEYS)
    port, secure = _port(path, data["url"]) if "url" in data else (None, False)
    tls = _tls(path, data, secure)
    outdir = data.get("outdir")
    if outdir is not None and not isinstance(outdir, str):
        raise SpecError(f"{path}: outdir must be a directory name")
    if not isinstance(data.get("options", {}), dict):
        raise SpecError(f"{path}: options must be an object")
    webport = data.get("webport")
    if webport is not None and (not isinstance(webport, int) or isinstance(webport, bool)):
        raise SpecError(f"{path}: webport must be a port number")
    protocols = data.get("protocols", [])
    if not isinstance(protocols, list) or not all(isinstance(p, str) for p in protocols):
        raise SpecError(f"{path}: protocols must be a list of subprotocol names")
    return ServerSpec(
        port=port,
        cases=case_patterns(path, data, "cases") if "cases" in data else ("*",),
        exclude=case_patterns(path, data, "exclude-cases"),
        exclude_agent=agent_exclusions(path, data),
        outdir=outdir,
        protocols=tuple(protocols),
        tls=tls,
    )
