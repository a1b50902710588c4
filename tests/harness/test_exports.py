"""Every harness module declares its public surface in ``__all__``, and it resolves."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import wsconform.harness

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(wsconform.harness.__path__, "wsconform.harness.")
    if not info.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_all_is_declared_and_resolves(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), "duplicates in __all__"
    for symbol in exported:
        assert hasattr(module, symbol), f"{name}.{symbol}"


def test_the_new_wire_modules_are_walked() -> None:
    assert {"wsconform.harness.wire.server", "wsconform.harness.runner.fuzzing"} <= set(MODULES)
