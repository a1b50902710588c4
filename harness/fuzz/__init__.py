"""Property-based fuzzing of WebSocket peers: strategies, a reference oracle, a runner.

* :mod:`.conversation`: what the fuzzer sends, as data (frames and write patterns).
* :mod:`.strategies`: Hypothesis strategies that mirror the frame model and shrink
  towards plain valid frames.
* :mod:`.oracle`: what a conforming peer must answer, computed with the reference core
  and written as a catalog :class:`~wsconform.cases.model.Case`.
* :mod:`.runner`: the search (``fuzz``, ``fuzz_target``): Hypothesis drives
  conversations, each runs as a case against the peer, a mismatch is shrunk.
* :mod:`.clients`: the same search against clients (``wsconform fuzz --serve``).
* :mod:`.deviations`: named mismatches of real libraries a run may tolerate.
* :mod:`.corpus`: findings saved as JSON files and replayed as catalog cases.
* :mod:`.reproduction`: a finding in words, with the commands that replay it.

docs/fuzzing.md describes them from the user's side.
"""

from __future__ import annotations

__all__: list[str] = []
