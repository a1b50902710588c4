"""The public surface of ``wsconform.reference.sync``."""

from __future__ import annotations

import importlib

import pytest

import wsconform.reference.sync as sync

MODULES = ["client", "compression", "connection", "messages", "server", "utils"]


def test_package_exports_its_all() -> None:
    for name in sync.__all__:
        assert getattr(sync, name) is not None, name
    for name in ("connect", "serve", "unix_connect", "unix_serve", "Connection", "Server"):
        assert name in sync.__all__


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all(name: str) -> None:
    module = importlib.import_module(f"wsconform.reference.sync.{name}")
    assert isinstance(module.__all__, list)
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.{exported}"
