"""Comments, docstrings and docs cite only what a reader of the repository has.

References stay inside the repository: RFC sections, Autobahn's case files, pages under
``docs/`` (the Autobahn facts are in docs/autobahn.md, the reference library's behaviour
in docs/reference.md). This walks the Python, Markdown and template files and fails on a
tag that points to a document outside it: a numbered section of a private Autobahn
catalog, a requirement row such as ``R`` and two digits, or a path to the shared notes.
"""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: What is walked: these directories (recursively) and files, relative to the root.
DIRECTORIES = ("reference", "harness", "cases", "tests", "bench", "docs")
FILES = ("README.md", "ARCHITECTURE.md")
SUFFIXES = frozenset({".py", ".md", ".j2", ".js", ".css"})

#: Tags that point outside the repository, each with what it stands for.
FORBIDDEN = (
    (
        "a section of a private catalog",
        re.compile(r"\bcatalog\s+(?:section\s+)?\d+(?:\.\d+)*", re.I),
    ),
    ("a private requirement row", re.compile(r"\bR\d{2}\b")),
    ("a path to the shared notes", re.compile(r"(?:\.\./|\b)shared/")),
    ("a private notes file", re.compile(r"autobahn-catalog\.md|reference-features\.md")),
)


def _walked() -> list[pathlib.Path]:
    paths = [ROOT / name for name in FILES]
    for directory in DIRECTORIES:
        for path in sorted((ROOT / directory).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and ".venv" not in path.parts:
                paths.append(path)
    return [path for path in paths if path.resolve() != pathlib.Path(__file__).resolve()]


def _hits(path: pathlib.Path) -> list[str]:
    found = []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in FORBIDDEN:
            match = pattern.search(line)
            if match:
                found.append(f"{path.relative_to(ROOT)}:{number}: {what}: {match.group()!r}")
    return found


def test_no_reference_outside_the_repository() -> None:
    hits = [hit for path in _walked() for hit in _hits(path)]
    assert not hits, "cite an RFC section, Autobahn's case file or docs/ instead:\n" + (
        "\n".join(hits)
    )


def test_the_walk_sees_the_tree() -> None:
    """The walk covers every kind of file it should, so an empty walk cannot pass."""
    walked = {path.relative_to(ROOT).as_posix() for path in _walked()}
    assert {"README.md", "docs/autobahn.md", "cases/model.py", "tests/conftest.py"} <= walked
    assert {path.suffix for path in _walked()} >= {".py", ".md"}
    assert "tests/test_self_contained.py" not in walked
