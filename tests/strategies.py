"""The shared Hypothesis strategies, shipped in :mod:`wsconform.harness.fuzz.strategies`.

Kept as a module of the tests so that test modules import them from one short name.
"""

from __future__ import annotations

from wsconform.harness.fuzz.strategies import (
    BOUNDARY_SIZES,
    chunkings,
    close_codes,
    closes,
    control_frames,
    data_frames,
    fragmented_messages,
    frames,
    mask_keys,
    payloads,
    texts,
    utf8_fragments,
    wire_frames,
)

__all__ = [
    "BOUNDARY_SIZES",
    "chunkings",
    "close_codes",
    "closes",
    "control_frames",
    "data_frames",
    "fragmented_messages",
    "frames",
    "mask_keys",
    "payloads",
    "texts",
    "utf8_fragments",
    "wire_frames",
]
