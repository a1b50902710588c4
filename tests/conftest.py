"""Shared test settings.

* ``WSCONFORM_TIMEOUT_UNIT`` (seconds, default 1.0) scales every timeout in the tests:
  use :func:`tests.timing.unit` rather than a literal.
* ``WSCONFORM_HYPOTHESIS_PROFILE`` picks ``dev`` (default), ``ci`` or ``nightly``
  (:mod:`wsconform.harness.fuzz.profiles`; ``make test`` uses ``ci``, ``make fuzz``
  ``nightly``).
"""

from __future__ import annotations

import pathlib

import pytest

from wsconform.harness.fuzz import profiles


def pytest_configure(config: pytest.Config) -> None:
    """Load the Hypothesis profile the environment names, before any test is collected.

    Raises:
        pytest.UsageError: the environment names no profile.
    """
    try:
        profiles.load()
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


_INTEGRATION = pathlib.Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under ``tests/integration`` as an integration test."""
    for item in items:
        if _INTEGRATION in pathlib.Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
