"""Property-based fuzzing of WebSocket peers: strategies, a reference oracle, a runner.

* :mod:`.conversation`: what the fuzzer sends, as data (frames and write patterns).
* :mod:`.strategies`: Hypothesis strategies that mirror the frame model and shrink
  towards plain valid frames.
* :mod:`.oracle`: what a conforming peer must answer, computed with the reference core
  and written as a catalog :class:`~wsconform.cases.model.Case`.
"""

from __future__ import annotations

__all__: list[str] = []
