"""The fuzz corpus: shrunk findings saved as JSON files and replayed as catalog cases.

One file per finding, named ``<digest>.json`` (the conversation's
:meth:`~.conversation.Conversation.digest`), holding::

    {
      "id": "corpus.<digest>",
      "target": "server",                  # the kind of peer it tests (or "client")
      "conversation": [ {frame}, ... ],    # Conversation.to_json()
      "found": {"url": ..., "agent": ..., "seed": ..., "verdict": ..., "reason": ...,
                "date": ..., "wsconform": ...},
      "note": "..."                        # optional, free text
    }

Only the conversation makes the case: its expectations are the oracle's
(:func:`.runner.case_of`), computed when the file is read, so a corpus case is judged
exactly like a fresh finding. ``found`` says where and how it was found, for people.

Where corpora live (docs/fuzzing.md): the package's own ``cases/corpus/`` is part of
the catalog (the ``corpus`` family, :mod:`wsconform.cases.families.corpus`); the
directories in the ``WSCONFORM_CORPUS`` environment variable (``os.pathsep``
separated) join it, so ``wsconform test-server URL --cases 'corpus.*'`` replays a
user's findings too; ``wsconform fuzz --corpus DIR`` saves there (default: the
package's directory in a source checkout, ``.wsconform/corpus`` otherwise).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import pathlib
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

import wsconform.cases
from wsconform import __version__
from wsconform.cases.model import Case

from .conversation import Conversation, ConversationError
from .runner import Finding, case_of, corpus_id

__all__ = [
    "ENV_VAR",
    "PACKAGE_CORPUS",
    "USER_CORPUS",
    "CorpusEntry",
    "CorpusError",
    "default_corpus",
    "entry_of",
    "load_cases",
    "load_dir",
    "load_entries",
    "load_file",
    "save",
    "search_path",
]

#: The environment variable naming more corpus directories.
ENV_VAR = "WSCONFORM_CORPUS"
#: The package's corpus: ``cases/corpus/`` (shipped with the package).
PACKAGE_CORPUS = pathlib.Path(wsconform.cases.__file__).parent / "corpus"
#: Where a user's findings go by default, relative to the working directory.
USER_CORPUS = pathlib.Path(".wsconform") / "corpus"

_TARGETS = ("server", "client")


class CorpusError(ValueError):
    """A corpus file that cannot be read: not JSON, a bad conversation, a wrong id."""


@dataclasses.dataclass(frozen=True, slots=True)
class CorpusEntry:
    """One saved finding: its conversation, the kind of peer it tests, how it was found."""

    conversation: Conversation
    target: Literal["server", "client"] = "server"
    found: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    note: str = ""

    @property
    def case_id(self) -> str:
        """``corpus.<digest>``."""
        return corpus_id(self.conversation)

    def to_json(self) -> dict[str, Any]:
        """The file's content."""
        data: dict[str, Any] = {
            "id": self.case_id,
            "target": self.target,
            "conversation": self.conversation.to_json(),
            "found": dict(self.found),
        }
        if self.note:
            data["note"] = self.note
        return data

    def case(self, *, kill_after: float = 1.0) -> Case:
        """The entry as a catalog case (the oracle's expectations)."""
        case, _prediction = case_of(self.conversation, kill_after=kill_after, target=self.target)
        return case


def entry_of(finding: Finding, *, url: str) -> CorpusEntry:
    """The corpus entry that records ``finding`` (found against ``url``)."""
    result = finding.result
    target: Literal["server", "client"] = (
        "client" if finding.case.applies_to == "client" else "server"
    )
    found = {
        "url": url,
        "agent": result.agent,
        "seed": finding.seed,
        "verdict": result.outcome.label,
        "reason": result.verdicts.reason,
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wsconform": __version__,
    }
    return CorpusEntry(finding.conversation, target, found)


def save(entry: CorpusEntry, directory: str | os.PathLike[str]) -> pathlib.Path:
    """Write ``entry`` to ``directory/<digest>.json`` (created if needed); return the path.

    Raises:
        OSError: the directory or the file cannot be written.
    """
    path = pathlib.Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    name = path / f"{entry.conversation.digest()}.json"
    name.write_text(json.dumps(entry.to_json(), indent=2, ensure_ascii=False) + "\n")
    return name


def load_file(path: str | os.PathLike[str]) -> CorpusEntry:
    """Read one corpus file.

    Raises:
        CorpusError: unreadable, not JSON, not an object, a bad conversation or target,
            or an ``id`` that is not its conversation's (the file was edited: its id
            follows the conversation).
    """
    where = pathlib.Path(path)
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorpusError(f"{where}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: not a JSON object")
    try:
        conversation = Conversation.from_json(data.get("conversation"))
    except ConversationError as exc:
        raise CorpusError(f"{where}: {exc}") from exc
    target = data.get("target", "server")
    if target not in _TARGETS:
        raise CorpusError(f"{where}: target must be 'server' or 'client', not {target!r}")
    found = data.get("found", {})
    note = data.get("note", "")
    if not isinstance(found, dict) or not isinstance(note, str):
        raise CorpusError(f"{where}: 'found' must be an object and 'note' a string")
    entry = CorpusEntry(conversation, cast(Literal["server", "client"], target), found, note)
    stated = data.get("id", entry.case_id)
    if stated != entry.case_id:
        raise CorpusError(
            f"{where}: id {stated!r} is not its conversation's ({entry.case_id}): "
            "an edited conversation gets a new id"
        )
    return entry


def load_dir(directory: str | os.PathLike[str]) -> list[CorpusEntry]:
    """Every ``*.json`` file of ``directory``, in name order (none if it is missing).

    Raises:
        CorpusError: a file cannot be read (see :func:`load_file`).
    """
    path = pathlib.Path(directory)
    if not path.is_dir():
        return []
    return [load_file(name) for name in sorted(path.glob("*.json"))]


def search_path(environ: Mapping[str, str] | None = None) -> list[pathlib.Path]:
    """The corpus directories of the catalog: the package's, then ``WSCONFORM_CORPUS``'s."""
    environ = os.environ if environ is None else environ
    extra = [pathlib.Path(p) for p in environ.get(ENV_VAR, "").split(os.pathsep) if p]
    paths = [PACKAGE_CORPUS]
    for path in extra:
        if path.resolve() not in {p.resolve() for p in paths}:
            paths.append(path)
    return paths


def default_corpus() -> pathlib.Path:
    """Where ``wsconform fuzz`` saves without ``--corpus``: the package's
    ``cases/corpus`` in a source checkout (a git work tree, writable), so that a
    finding shows up in ``git status``; ``.wsconform/corpus`` otherwise."""
    root = PACKAGE_CORPUS.resolve().parent.parent
    if (root / ".git").exists() and os.access(PACKAGE_CORPUS, os.W_OK):
        return PACKAGE_CORPUS
    return USER_CORPUS


def load_entries(
    directories: Iterable[str | os.PathLike[str]],
) -> tuple[list[CorpusEntry], list[str]]:
    """Every usable entry of ``directories`` (each directory and each id once, the
    first wins), and one line per file that could not be used (unreadable, or a frame
    the catalog's steps cannot send)."""
    entries: dict[str, CorpusEntry] = {}
    problems: list[str] = []
    seen: set[pathlib.Path] = set()
    for directory in directories:
        path = pathlib.Path(directory)
        if not path.is_dir() or path.resolve() in seen:
            continue
        seen.add(path.resolve())
        for name in sorted(path.glob("*.json")):
            try:
                entry = load_file(name)
                entry.case()
            except CorpusError as exc:
                problems.append(str(exc))
                continue
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
                continue
            entries.setdefault(entry.case_id, entry)
    return list(entries.values()), problems


def load_cases(
    directories: Iterable[str | os.PathLike[str]], *, kill_after: float = 1.0
) -> tuple[list[Case], list[str]]:
    """The cases of :func:`load_entries`, and its problems."""
    entries, problems = load_entries(directories)
    return [entry.case(kill_after=kill_after) for entry in entries], problems
