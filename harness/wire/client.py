"""Opening the tester's TCP (or TLS) connection to a target URL.

:func:`connect` resolves and connects within a timeout and hands the transport to a
:class:`~.connection.TesterConnection`; the opening handshake then runs inside the
connection, under its own timer. A failure to reach the target is a harness error
(:class:`~.exceptions.ConnectError`), never a verdict.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from wsconform.reference.protocol.exceptions import InvalidURI
from wsconform.reference.protocol.uri import WebSocketURI, parse_uri

from .connection import TesterConnection
from .exceptions import ConnectError, InvalidTargetURL

__all__ = ["DEFAULT_CONNECT_TIMEOUT", "connect", "parse_target", "tls_context"]

#: Seconds to open TCP (and TLS) before the target counts as unreachable.
DEFAULT_CONNECT_TIMEOUT = 10.0


def parse_target(url: str) -> WebSocketURI:
    """Parse a ``ws://`` or ``wss://`` target URL.

    Raises:
        InvalidTargetURL: another scheme, no host, a bad port, or a fragment.
    """
    try:
        return parse_uri(url)
    except InvalidURI as exc:
        raise InvalidTargetURL(url, str(exc)) from exc


def tls_context(*, verify: bool = True, cafile: str | None = None) -> ssl.SSLContext:
    """A client TLS context; ``verify=False`` accepts any certificate (test servers)."""
    context = ssl.create_default_context(cafile=cafile)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def connect(
    uri: WebSocketURI,
    factory: Callable[[], TesterConnection],
    *,
    ssl_context: ssl.SSLContext | None = None,
    server_hostname: str | None = None,
    timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> TesterConnection:
    """Open TCP (and TLS for ``wss://``) to ``uri`` and attach a new connection to it.

    Raises:
        ConnectError: the address does not resolve, the connection is refused or times
            out, or the TLS handshake fails.
    """
    loop = asyncio.get_running_loop()
    context: ssl.SSLContext | None = None
    if uri.secure:
        context = ssl_context if ssl_context is not None else tls_context()
    try:
        async with asyncio.timeout(timeout):
            _transport, protocol = await loop.create_connection(
                factory,
                uri.host,
                uri.port,
                ssl=context,
                server_hostname=(server_hostname or uri.host) if context is not None else None,
            )
    except TimeoutError:
        raise ConnectError(str(uri), f"no connection within {timeout:g} s") from None
    except ssl.SSLError as exc:
        raise ConnectError(str(uri), f"TLS handshake failed: {exc}") from exc
    except OSError as exc:
        raise ConnectError(str(uri), exc.strerror or str(exc)) from exc
    return protocol
