"""Small, deliberately misbehaving WebSocket servers for tests: known-broken variants
of the reference, each a real asyncio server on 127.0.0.1 (a free port).

They prove that each verdict rule of the harness can fail: a peer that never answers,
one that closes with the wrong code, drops TCP, lingers after the closing handshake,
answers pings late or wrongly, echoes invalid UTF-8, masks its frames, never completes
the opening handshake. See :mod:`tests.peers.base` for how they are built.
:mod:`tests.peers.hostile` has the servers that attack the tester instead (floods,
garbage, resets, a deflate bomb).
"""

from __future__ import annotations

from .base import MAX_SIZE, PeerConnection, PeerServer, frame_size, serve_peer
from .raw import NaiveEchoPeer, Utf8AtEndPeer
from .variants import (
    ClosingPeer,
    DeafPeer,
    DeferredEchoPeer,
    DroppingPeer,
    EchoPeer,
    LatePongPeer,
    LingeringPeer,
    MaskingPeer,
    NoHandshakePeer,
    RecodingPeer,
    RejectingPeer,
    SilentPeer,
    WrongPongPeer,
    rewritten,
    tuned,
)

__all__ = [
    "MAX_SIZE",
    "ClosingPeer",
    "DeafPeer",
    "DeferredEchoPeer",
    "DroppingPeer",
    "EchoPeer",
    "LatePongPeer",
    "LingeringPeer",
    "MaskingPeer",
    "NaiveEchoPeer",
    "NoHandshakePeer",
    "PeerConnection",
    "PeerServer",
    "RecodingPeer",
    "RejectingPeer",
    "SilentPeer",
    "Utf8AtEndPeer",
    "WrongPongPeer",
    "frame_size",
    "rewritten",
    "serve_peer",
    "tuned",
]
