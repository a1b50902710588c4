"""wsconform: a WebSocket conformance and fuzz-testing harness with a reference implementation.

The distribution maps three top-level folders of the repository onto one namespace:

* ``reference/`` is :mod:`wsconform.reference`, the sans-I/O protocol core and the
  asyncio / thread-based server and client built on it;
* ``harness/`` is :mod:`wsconform.harness`, the case runner, fuzzers, targets and reports;
* ``cases/`` is :mod:`wsconform.cases`, the declarative case catalog.

The mapping is done with symbolic links inside this folder, so that Python, mypy,
pytest and setuptools all see one ordinary package.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
