"""The run record: what one case produced, below both the wire client and the reports.

:mod:`.observation` is what the tester saw during one case (filled by the wire client
and the executor), :mod:`.outcome` the verdict types and the one rule that folds them
into an outcome, :mod:`.describe` events and endings in words; the wire client, the
verdict rules and every renderer import from here, and nothing here imports them.
"""

from __future__ import annotations

__all__: list[str] = []
