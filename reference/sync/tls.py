"""TLS for the thread-based front end, safe for one reader and one writer thread.

A connection reads in its reader thread while application threads write. An
:class:`ssl.SSLSocket` cannot be used that way: OpenSSL forbids calling ``SSL_read``
and ``SSL_write`` on one ``SSL`` object at the same time, and Python 3.11 does not
serialise them, so a write racing a read now and then corrupts the record layer
(``BAD_RECORD_TYPE`` at the peer, or a request that never arrives). :class:`TLSSocket`
keeps the TLS state in an :class:`ssl.SSLObject` over memory buffers: every TLS call
is made under one lock and never blocks; the blocking reads and writes are on the
plain TCP socket, outside that lock, so a reader waiting for data never holds up a
writer.

It offers the part of the socket interface the connection uses (``recv``, ``sendall``,
``shutdown``, ``settimeout``, ``close``, addresses), with the same timeouts and
exceptions as a socket.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from typing import Any

from .utils import Deadline

__all__ = ["TLSSocket"]

#: Bytes of ciphertext asked of the TCP socket per read: one TLS record at most.
RECORD_SIZE = 16384 + 512
#: Seconds ``shutdown(SHUT_WR)`` waits for a writer to finish before it sends the FIN
#: without a close_notify.
SHUTDOWN_WAIT = 1.0


class TLSSocket:
    """A TCP socket wrapped in TLS whose handshake is done (see :meth:`wrap`)."""

    def __init__(
        self,
        sock: socket.socket,
        tls: ssl.SSLObject,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
    ) -> None:
        self.sock = sock
        self.family = sock.family
        self._tls = tls
        self._incoming = incoming
        self._outgoing = outgoing
        # Guards the SSLObject and both buffers; held only for in-memory TLS work.
        self._tls_lock = threading.Lock()
        # Held by whoever sends ciphertext, so that records leave in the order they
        # were made (see _send_pending).
        self._send_lock = threading.Lock()

    @classmethod
    def wrap(
        cls,
        sock: socket.socket,
        context: ssl.SSLContext,
        *,
        server_side: bool = False,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> TLSSocket:
        """Perform the TLS handshake on ``sock`` within ``timeout`` seconds.

        Raises:
            ssl.SSLError: the handshake failed (a certificate that does not verify...).
            TimeoutError: it did not finish in time.
            OSError: the TCP connection failed or closed during the handshake.
        """
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(
            incoming, outgoing, server_side=server_side, server_hostname=server_hostname
        )
        deadline = Deadline(timeout)
        while True:
            try:
                tls.do_handshake()
                done = True
            except ssl.SSLWantReadError:
                done = False
            except ssl.SSLError:
                # Tell the peer why (a certificate that does not verify...), if it
                # still listens; the TLS error is what the caller gets.
                with contextlib.suppress(OSError):
                    sock.settimeout(deadline.timeout(raise_if_elapsed=False))
                    sock.sendall(outgoing.read())
                raise
            pending = outgoing.read()
            if pending:
                sock.settimeout(deadline.timeout())
                sock.sendall(pending)
            if done:
                return cls(sock, tls, incoming, outgoing)
            sock.settimeout(deadline.timeout())
            data = sock.recv(RECORD_SIZE)
            if not data:
                raise ConnectionResetError("connection closed during the TLS handshake")
            incoming.write(data)

    # --- what the connection uses ----------------------------------------------------

    def recv(self, bufsize: int) -> bytes:
        """Return up to ``bufsize`` bytes of plaintext; ``b""`` at the end of the stream
        (the peer's close_notify, or TCP closed without one).

        Raises:
            TimeoutError: nothing arrived within the socket's timeout.
            ssl.SSLError: the peer sent something that is not valid TLS.
            OSError: the TCP connection failed.
        """
        while True:
            with self._tls_lock:
                try:
                    data = self._tls.read(bufsize)
                except ssl.SSLWantReadError:
                    data = None
                except ssl.SSLZeroReturnError:
                    return b""
                # TLS may answer what it read (a KeyUpdate, an alert).
                replies = self._outgoing.pending > 0 and self._send_lock.acquire(False)
            if replies:
                self._send_pending()
            if data is not None:
                return data
            ciphertext = self.sock.recv(RECORD_SIZE)
            if not ciphertext:
                # TCP closed without close_notify: an end of stream all the same, like
                # SSLSocket's suppress_ragged_eofs; the WebSocket layer judges it.
                return b""
            with self._tls_lock:
                self._incoming.write(ciphertext)

    def sendall(self, data: bytes) -> None:
        """Encrypt and send all of ``data``.

        Raises:
            TimeoutError: the socket's timeout elapsed while sending.
            OSError: the TCP connection failed.
        """
        if not data:
            return
        self._send_lock.acquire()
        with self._tls_lock:
            try:
                self._tls.write(data)
            except BaseException:
                self._send_lock.release()
                raise
        self._send_pending()

    def _send_pending(self) -> None:
        """Send the ciphertext made so far; the caller holds ``_send_lock``.

        ``_send_lock`` is released under ``_tls_lock`` right after finding nothing
        left, so a reader that made a record meanwhile either sees the lock held (and
        leaves the record to us) or finds it free and sends it itself.
        """
        try:
            while True:
                with self._tls_lock:
                    ciphertext = self._outgoing.read()
                    if not ciphertext:
                        self._send_lock.release()
                        return
                self.sock.sendall(ciphertext)
        except BaseException:
            self._send_lock.release()
            raise

    def shutdown(self, how: int) -> None:
        """``SHUT_WR``: send close_notify, then FIN; reading goes on until the peer's
        end. ``SHUT_RDWR``: drop the TCP connection at once.

        Raises:
            OSError: the TCP connection failed.
        """
        # Bounded: a writer stuck on a peer that does not read must not stop the FIN.
        if how != socket.SHUT_RDWR and self._send_lock.acquire(True, SHUTDOWN_WAIT):
            with self._tls_lock:
                try:
                    self._tls.unwrap()
                except ssl.SSLWantReadError:
                    pass  # close_notify is made; the peer's comes later, or never
                except (ssl.SSLError, ValueError):
                    pass  # TLS already failed or shut down: FIN is what is left
            self._send_pending()
        self.sock.shutdown(how)

    def settimeout(self, timeout: float | None) -> None:
        self.sock.settimeout(timeout)

    def close(self) -> None:
        self.sock.close()

    def fileno(self) -> int:
        return self.sock.fileno()

    def getsockname(self) -> Any:
        return self.sock.getsockname()

    def getpeername(self) -> Any:
        return self.sock.getpeername()

    # --- TLS details an application may want ----------------------------------------

    def version(self) -> str | None:
        """The TLS version negotiated, ``"TLSv1.3"`` for example."""
        return self._tls.version()

    def selected_alpn_protocol(self) -> str | None:
        """The ALPN protocol negotiated, if any."""
        return self._tls.selected_alpn_protocol()

    def getpeercert(self, binary_form: bool = False) -> Any:
        """The peer's certificate, as :meth:`ssl.SSLSocket.getpeercert` gives it."""
        return self._tls.getpeercert(binary_form)
