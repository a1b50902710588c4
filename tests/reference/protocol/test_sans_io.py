"""The protocol core never imports I/O or clock modules (style rule 1)."""

from __future__ import annotations

import ast
import pathlib

import wsconform.reference.protocol as core

FORBIDDEN = {"asyncio", "socket", "ssl", "selectors", "threading", "time", "concurrent"}


def _imported_roots(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "__import__"
        ):
            roots.add("<dynamic __import__>")
    return roots


def test_core_imports_no_io_or_clock() -> None:
    package = pathlib.Path(core.__file__).parent
    files = sorted(package.rglob("*.py"))
    assert len(files) >= 3
    offenders = {
        str(path.relative_to(package)): sorted(_imported_roots(path) & FORBIDDEN)
        for path in files
        if _imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_checker_sees_forbidden_imports(tmp_path: pathlib.Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import asyncio\nfrom time import monotonic\nimport os\n")
    assert _imported_roots(sample) & FORBIDDEN == {"asyncio", "time"}


def test_core_keeps_no_clock_constants() -> None:
    """How long to wait is a front end's choice; the core only counts bytes and events."""
    package = pathlib.Path(core.__file__).parent
    timing = ("GRACE", "TIMEOUT", "DELAY", "INTERVAL", "SECONDS")
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and any(w in target.id.upper() for w in timing):
                    offenders.append(f"{path.relative_to(package)}: {target.id}")
    assert offenders == []


def test_front_ends_share_the_failure_grace() -> None:
    from wsconform.reference.asyncio import connection as asyncio_connection
    from wsconform.reference.sync import connection as sync_connection

    assert asyncio_connection.FAILURE_GRACE == sync_connection.FAILURE_GRACE > 0
