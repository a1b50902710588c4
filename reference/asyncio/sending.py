"""Sending messages on the asyncio connection: whole, fragmented, and the drain.

:class:`Sending` is a mixin of :class:`~.connection.Connection`: it holds no state of
its own (``__slots__ = ()``, so that an idle connection costs no more memory), and
works on the connection's slots ``_fragmented_send``, ``_writing_paused`` and
``_drain_waiters``, which the connection declares and initialises (the transport's
``pause_writing`` / ``resume_writing`` set the flag). :class:`SendingHost` names what
it uses of the connection.

RFC 6455 section 5.4: "The fragments of one message MUST NOT be interleaved between
the fragments of another message unless an extension has been negotiated that can
interpret the interleaving": while a fragmented message is being sent, other sends wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..protocol.close import CloseCode
from ..protocol.connection import OPEN
from ..protocol.exceptions import ConnectionClosed

if TYPE_CHECKING:
    from ..protocol.connection import Protocol as Core
    from .connection import DataLike, LoggerLike

__all__ = ["Sending", "SendingHost"]


class SendingHost(Protocol):
    """What :class:`Sending` uses of the connection it is mixed into (and of itself)."""

    loop: asyncio.AbstractEventLoop
    logger: LoggerLike
    # Set while a fragmented message is being sent; other sends wait for it.
    _fragmented_send: asyncio.Future[None] | None
    # The transport's write buffer is above its high-water mark.
    _writing_paused: bool
    _drain_waiters: list[asyncio.Future[None]]
    _lost_waiter: asyncio.Future[None]

    @property
    def protocol(self) -> Core: ...  # read-only here: the subclasses narrow its type

    def _send_data(self) -> None: ...
    def _check_open(self) -> None: ...
    async def _ensure_open(self) -> None: ...
    def _closed_exc(self) -> ConnectionClosed: ...
    async def _send_fragments(self, iterator: Any, text: bool | None) -> None: ...
    async def _send_async_fragments(self, iterator: Any, text: bool | None) -> None: ...
    def _send_fragment(
        self, fragment: Any, kind: type, text: bool | None, first: bool, fin: bool
    ) -> bool: ...
    def _fail_fragmented_send(self, first: bool) -> None: ...
    def _end_fragmented_send(self) -> None: ...
    async def _wait_fragmented_send(self) -> None: ...
    async def _drain(self) -> None: ...


class Sending:
    """``send`` for messages and fragmented messages, and the wait for the drain (a mixin)."""

    __slots__ = ()

    if TYPE_CHECKING:
        # The slot the methods below assign, declared by the connection.
        _fragmented_send: asyncio.Future[None] | None

    async def send(
        self: SendingHost,
        message: DataLike | Iterable[DataLike] | AsyncIterable[DataLike],
        text: bool | None = None,
    ) -> None:
        """Send a message: ``str`` as text, bytes-like as binary.

        An iterable or async iterable of ``str`` or bytes-like sends one fragmented
        message, one frame per item (all items of the same kind). Other sends wait
        until a fragmented message in progress is finished. When the write buffer is
        above its high-water mark, ``send`` waits until it drains.

        Args:
            message: What to send.
            text: ``True`` sends bytes as a text frame (they must be UTF-8), ``False``
                sends ``str`` as a binary frame; ``None`` follows the type.

        Raises:
            ConnectionClosed: the connection is closed or closing.
            TypeError: ``message`` is of an unsupported type, or the fragments are
                of mixed types (the connection is then failed with 1011).
        """
        if self._fragmented_send is not None:
            await self._wait_fragmented_send()
        protocol = self.protocol
        if isinstance(message, str):
            if protocol.state is not OPEN:
                await self._ensure_open()
            if text is False:
                protocol.send_binary(message.encode())
            else:
                protocol.send_text(message.encode())
        elif isinstance(message, bytes) or isinstance(message, bytearray | memoryview):  # noqa: SIM101 - bytes first, the common case
            if protocol.state is not OPEN:
                await self._ensure_open()
            data = bytes(message) if type(message) is not bytes else message
            if text:
                protocol.send_text(data)
            else:
                protocol.send_binary(data)
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            await self._send_fragments(iter(message), text)
            return
        elif isinstance(message, AsyncIterable):
            await self._send_async_fragments(aiter(message), text)
            return
        else:
            raise TypeError("data must be str, bytes-like, or an iterable of them")
        self._send_data()
        if self._writing_paused:
            await self._drain()

    async def _send_fragments(self: SendingHost, iterator: Any, text: bool | None) -> None:
        """Send the items of a sync iterator as one fragmented message."""
        await self._ensure_open()
        self._fragmented_send = self.loop.create_future()
        try:
            try:
                previous = next(iterator)
            except StopIteration:
                return  # an empty iterable sends nothing
            kind, first = type(previous), True
            try:
                for fragment in iterator:
                    first = self._send_fragment(previous, kind, text, first, fin=False)
                    if self._writing_paused:
                        await self._drain()
                    previous = fragment
                self._send_fragment(previous, kind, text, first, fin=True)
            except BaseException:
                self._fail_fragmented_send(first)
                raise
        finally:
            self._end_fragmented_send()
        if self._writing_paused:
            await self._drain()

    async def _send_async_fragments(self: SendingHost, iterator: Any, text: bool | None) -> None:
        """Send the items of an async iterator as one fragmented message."""
        await self._ensure_open()
        self._fragmented_send = self.loop.create_future()
        try:
            try:
                previous = await anext(iterator)
            except StopAsyncIteration:
                return
            kind, first = type(previous), True
            try:
                async for fragment in iterator:
                    first = self._send_fragment(previous, kind, text, first, fin=False)
                    if self._writing_paused:
                        await self._drain()
                    previous = fragment
                self._send_fragment(previous, kind, text, first, fin=True)
            except BaseException:
                self._fail_fragmented_send(first)
                raise
        finally:
            self._end_fragmented_send()
        if self._writing_paused:
            await self._drain()

    def _send_fragment(
        self: SendingHost, fragment: Any, kind: type, text: bool | None, first: bool, fin: bool
    ) -> bool:
        """Send one frame of a fragmented message; return ``False`` (no longer first).

        Raises:
            TypeError: the fragment is not of the kind of the first one.
            ConnectionClosed: the connection is no longer open.
        """
        if kind is str:
            if type(fragment) is not str:
                raise TypeError("all fragments must be of the same type (str)")
            data = fragment.encode()
        else:
            if not isinstance(fragment, bytes | bytearray | memoryview):
                raise TypeError("fragments must be str or bytes-like, all of the same type")
            data = bytes(fragment)
        self._check_open()
        if not first:
            self.protocol.send_continuation(data, fin=fin)
        elif (kind is str and text is not False) or text:
            self.protocol.send_text(data, fin=fin)
        else:
            self.protocol.send_binary(data, fin=fin)
        self._send_data()
        return False

    def _fail_fragmented_send(self: SendingHost, first: bool) -> None:
        """A fragmented message cannot be finished: fail the connection with 1011.

        Nothing is failed when no frame of the message was sent yet.
        """
        if not first and self.protocol.state is OPEN:
            self.logger.error("fragmented message interrupted; failing the connection")
            self.protocol.fail(CloseCode.INTERNAL_ERROR, "error in fragmented message")
            self._send_data()

    def _end_fragmented_send(self: SendingHost) -> None:
        waiter, self._fragmented_send = self._fragmented_send, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait_fragmented_send(self: SendingHost) -> None:
        """Wait until the fragmented message another task is sending is finished."""
        while self._fragmented_send is not None:
            await asyncio.shield(self._fragmented_send)

    async def _drain(self: SendingHost) -> None:
        """Wait until the transport's write buffer falls below its low-water mark.

        The wait is bounded by the keepalive: when the peer stops reading, the pong
        does not come back within ``ping_timeout`` and the connection is failed.

        Raises:
            ConnectionClosed: the connection was lost while waiting.
        """
        if self._lost_waiter.done():
            raise self._closed_exc()
        waiter = self.loop.create_future()
        self._drain_waiters.append(waiter)
        await waiter
        # resume_writing clears the flag; a loss with data still buffered does not.
        if self._writing_paused and self._lost_waiter.done():
            raise self._closed_exc()
