"""Opening the tester's TCP (or TLS) connection to a target URL.

:func:`connect` resolves and connects within a timeout and hands the transport to a
:class:`~.connection.TesterConnection`; the opening handshake then runs inside the
connection, under its own timer. A failure to reach the target is a harness error
(:class:`~.exceptions.ConnectError`), never a verdict.
"""

from __future__ import annotations

import asyncio
import os
import socket
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
    deadline = loop.time() + timeout
    sock: socket.socket | None = None
    try:
        # TCP first, then TLS over it, so that a failure says which of the two failed: a
        # wss:// URL of a plain ws:// server connects, and then its TLS handshake fails
        # (or never ends: the server waits for an HTTP request that never comes).
        async with asyncio.timeout(timeout):
            sock = await _open_tcp(uri.host, uri.port)
    except TimeoutError:
        raise ConnectError(str(uri), f"no TCP connection within {timeout:g} s") from None
    except OSError as exc:
        raise ConnectError(str(uri), _reason(exc)) from exc
    try:
        async with asyncio.timeout_at(deadline):
            _transport, protocol = await loop.create_connection(
                factory,
                sock=sock,
                ssl=context,
                server_hostname=(server_hostname or uri.host) if context is not None else None,
                ssl_handshake_timeout=max(deadline - loop.time(), 0.001) if context else None,
            )
    except (TimeoutError, ssl.SSLError, OSError) as exc:
        sock.close()
        if context is None:
            raise ConnectError(str(uri), str(exc) or type(exc).__name__) from exc
        if isinstance(exc, TimeoutError) or (
            isinstance(exc, ConnectionError) and "handshake" in str(exc).lower()
        ):
            detail = f"no answer within {timeout:g} s (is it a plain ws:// server?)"
        else:
            detail = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            if isinstance(exc, ssl.SSLError) and exc.reason == "WRONG_VERSION_NUMBER":
                detail += " (the server does not speak TLS: is it a plain ws:// server?)"
        raise ConnectError(str(uri), f"TLS handshake failed: {detail}") from exc
    return protocol


def _reason(exc: OSError) -> str:
    """``Connection refused`` rather than asyncio's ``Connect call failed (...)``."""
    if isinstance(exc, socket.gaierror) or not exc.errno or exc.errno < 0:
        return exc.strerror or str(exc)
    return os.strerror(exc.errno)


async def _open_tcp(host: str, port: int) -> socket.socket:
    """A connected non-blocking TCP socket to the first address of ``host`` that answers.

    Raises:
        OSError: the name does not resolve, or no address accepts the connection.
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"{host} does not resolve")
    error: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    assert error is not None
    raise error
