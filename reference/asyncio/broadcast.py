"""``broadcast(connections, message)``: one message to many connections, nobody waits.

A slow client must not hold the others back, so broadcast never awaits: it writes
to each connection's transport at once and skips, with a warning in the log, every
connection whose write buffer is above its high-water mark (``write_limit``), every
connection that is not open, and every connection in the middle of a fragmented send.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..protocol.connection import OPEN
from .connection import Connection, Data

__all__ = ["broadcast"]


def broadcast(
    connections: Iterable[Connection], message: Data, raise_exceptions: bool = False
) -> int:
    """Send ``message`` to every connection that can take it now; return how many did.

    The payload is encoded once; each connection frames (and compresses) it.

    Args:
        connections: Where to send (any iterable, read once; a set is typical).
        message: ``str`` for a text message, bytes-like for a binary one.
        raise_exceptions: Raise an :class:`ExceptionGroup` of what was skipped or
            failed, after trying every connection, rather than only logging it.

    Raises:
        TypeError: ``message`` is neither ``str`` nor bytes-like.
        ExceptionGroup: with ``raise_exceptions``, one exception per skipped connection.
    """
    if isinstance(message, str):
        text, data = True, message.encode()
    elif isinstance(message, bytes | bytearray | memoryview):
        text, data = False, bytes(message)
    else:
        raise TypeError("broadcast message must be str or bytes-like")
    sent = 0
    errors: list[Exception] = []
    for connection in connections:
        if connection.protocol.state is not OPEN:
            continue
        reason = None
        if connection._fragmented_send is not None:
            reason = "sending a fragmented message"
        elif connection._writing_paused:
            reason = "write buffer above its limit (slow client)"
        if reason is not None:
            connection.logger.warning("skipped broadcast: %s", reason)
            if raise_exceptions:
                errors.append(ConnectionError(f"skipped broadcast to {connection.id}: {reason}"))
            continue
        try:
            if text:
                connection.protocol.send_text(data)
            else:
                connection.protocol.send_binary(data)
            connection._send_data()
        except Exception as exc:
            connection.logger.warning("skipped broadcast: failed to write message: %s", exc)
            if raise_exceptions:
                errors.append(exc)
            continue
        sent += 1
    if errors:
        raise ExceptionGroup("skipped broadcast", errors)
    return sent
