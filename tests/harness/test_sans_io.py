"""The harness's sans-I/O modules never import I/O or clock modules, even indirectly.

The tester's protocol, its reader, frames, handshake and write queue, and the record
model, are driven by bytes and an injected clock, so a unit test runs them with no
socket and no event loop (as the reference core, ``tests/reference/protocol/test_sans_io.py``).
"""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

import wsconform
from tests.reference.protocol.test_sans_io import FORBIDDEN, _imported_roots

SANS_IO = [
    "wsconform.harness.wire.protocol",
    "wsconform.harness.wire.states",
    "wsconform.harness.wire.opening",
    "wsconform.harness.wire.writes",
    "wsconform.harness.wire.reader",
    "wsconform.harness.wire.frame",
    "wsconform.harness.wire.handshake",
    "wsconform.harness.wire.codec",
    "wsconform.harness.record",
    "wsconform.harness.record.observation",
    "wsconform.harness.record.outcome",
    "wsconform.harness.record.describe",
]

ROOT = pathlib.Path(wsconform.__file__).parent


def _path(module: str) -> pathlib.Path:
    file = importlib.import_module(module).__file__
    assert file is not None
    return pathlib.Path(file)


def _wsconform_imports(path: pathlib.Path) -> set[str]:
    """The wsconform modules a file imports (absolute and relative)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        package += ".__init__"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level)[0]
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name.startswith("wsconform"):
                found.add(name)
                # "from package import module" names a module too.
                found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("wsconform"))
    return found


def _module_file(name: str) -> pathlib.Path | None:
    base = ROOT.parent.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _closure(module: str) -> dict[str, pathlib.Path]:
    """Every wsconform file ``module`` reaches through its imports."""
    seen: dict[str, pathlib.Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if path is None or name in seen:
            continue
        seen[name] = path
        todo.extend(_wsconform_imports(path))
    return seen


@pytest.mark.parametrize("module", SANS_IO)
def test_module_imports_no_io_or_clock(module: str) -> None:
    assert _imported_roots(_path(module)) & FORBIDDEN == set()


@pytest.mark.parametrize("module", ["wsconform.harness.wire.protocol"])
def test_nothing_the_protocol_reaches_imports_io_or_clock(module: str) -> None:
    reached = _closure(module)
    assert "wsconform.harness.wire.reader" in reached
    assert "wsconform.harness.wire.handshake" in reached
    assert "wsconform.reference.protocol.frames" in reached
    offenders = {
        name: sorted(_imported_roots(path) & FORBIDDEN)
        for name, path in reached.items()
        if _imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_the_closure_sees_the_asyncio_adapter() -> None:
    # The same walk finds asyncio where it is: the check can fail.
    reached = _closure("wsconform.harness.wire.connection")
    assert "asyncio" in _imported_roots(reached["wsconform.harness.wire.connection"])
