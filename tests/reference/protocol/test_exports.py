"""Each module of the frame layer declares its public surface in ``__all__``."""

from __future__ import annotations

import ast
import importlib
import pathlib

import pytest

MODULES = ["close", "connection", "frames", "mask", "utf8"]


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    module = importlib.import_module(f"wsconform.reference.protocol.{name}")
    exported = set(module.__all__)
    assert len(exported) == len(module.__all__), "duplicates in __all__"
    for symbol in exported:
        assert hasattr(module, symbol), symbol
    tree = ast.parse(pathlib.Path(module.__file__ or "").read_text(encoding="utf-8"))
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            defined.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        defined.add(leaf.id)
    defined = {symbol for symbol in defined if not symbol.startswith("_")}
    defined.discard("__all__")
    # Names defined here (classes, functions, constants) are all exported.
    assert defined - exported == set()
