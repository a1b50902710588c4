"""The one report model of a run, and its renderers (JSON in Autobahn's layout first).

The runner emits events (:mod:`.model`); :class:`~.model.Report` collects them; every
renderer only reads the report.
"""

from __future__ import annotations

__all__: list[str] = []
