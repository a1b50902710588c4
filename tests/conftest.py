"""Shared test settings.

* ``WSCONFORM_TIMEOUT_UNIT`` (seconds, default 1.0) scales every timeout in the tests:
  use :func:`tests.timing.unit` rather than a literal.
* ``HYPOTHESIS_PROFILE`` picks ``dev`` (default), ``ci`` or ``nightly``.
"""

from __future__ import annotations

import os
import pathlib

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("nightly", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

_INTEGRATION = pathlib.Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under ``tests/integration`` as an integration test."""
    for item in items:
        if _INTEGRATION in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
