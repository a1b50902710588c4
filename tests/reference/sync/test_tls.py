"""TLSSocket over a real socket pair: the handshake, full-duplex use from two threads
(what ssl.SSLSocket cannot do safely), close_notify on half-close, and its failures."""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest
import trustme

from tests.timing import unit
from wsconform.reference.sync.tls import TLSSocket


@pytest.fixture(scope="module")
def contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.create_default_context()
    ca.configure_trust(client_context)
    return server_context, client_context


def in_thread(target: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """Run ``target`` in a thread; its result or exception lands in the list."""
    out: list[object] = []

    def run() -> None:
        try:
            out.append(target())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


@pytest.fixture
def tls_pair(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> Iterator[tuple[TLSSocket, TLSSocket]]:
    """A client and a server TLSSocket joined by a socket pair, handshake done."""
    server_context, client_context = contexts
    a, b = socket.socketpair()
    thread, out = in_thread(
        lambda: TLSSocket.wrap(b, server_context, server_side=True, timeout=unit(5))
    )
    client = TLSSocket.wrap(a, client_context, server_hostname="localhost", timeout=unit(5))
    thread.join(unit(5))
    server = out[0]
    assert isinstance(server, TLSSocket), server
    for side in (client, server):
        side.settimeout(unit(10))
    yield client, server
    client.close()
    server.close()


def read_exactly(sock: TLSSocket, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(65536)
        assert chunk, "end of stream too early"
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def test_both_directions_at_once_from_separate_threads(
    tls_pair: tuple[TLSSocket, TLSSocket],
) -> None:
    # Each side writes many records from one thread while another thread reads: the
    # pattern of the sync connection. SSLSocket corrupts records under it now and then.
    client, server = tls_pair
    sizes = [(i * 7919) % 3000 + 1 for i in range(1500)]
    payloads = {side: [os.urandom(n) for n in sizes] for side in ("client", "server")}

    def write(sock: TLSSocket, chunks: list[bytes]) -> None:
        for chunk in chunks:
            sock.sendall(chunk)

    total = sum(sizes)
    readers = [
        in_thread(lambda: read_exactly(server, total)),
        in_thread(lambda: read_exactly(client, total)),
    ]
    writers = [
        in_thread(lambda: write(client, payloads["client"])),
        in_thread(lambda: write(server, payloads["server"])),
    ]
    for thread, out in writers + readers:
        thread.join(unit(30))
        assert not thread.is_alive()
        assert not isinstance(out[0], BaseException), out[0]
    assert readers[0][1][0] == b"".join(payloads["client"])
    assert readers[1][1][0] == b"".join(payloads["server"])


def test_half_close_sends_close_notify_and_reading_goes_on(
    tls_pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, server = tls_pair
    server.sendall(b"last words")
    server.shutdown(socket.SHUT_WR)
    assert read_exactly(client, 10) == b"last words"
    assert client.recv(100) == b""  # the close_notify: a clean end, not an error
    client.sendall(b"reply after the peer's half-close")
    assert read_exactly(server, 33) == b"reply after the peer's half-close"
    client.shutdown(socket.SHUT_WR)
    assert server.recv(100) == b""


def test_tcp_closed_without_close_notify_is_an_end_of_stream(
    tls_pair: tuple[TLSSocket, TLSSocket],
) -> None:
    client, server = tls_pair
    server.sock.shutdown(socket.SHUT_WR)
    assert client.recv(100) == b""


def test_recv_timeout(tls_pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, _ = tls_pair
    client.settimeout(unit(0.2))
    with pytest.raises(TimeoutError):
        client.recv(100)


def test_untrusted_certificate_fails_both_sides(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    server_context, _ = contexts
    a, b = socket.socketpair()
    with a, b:
        thread, out = in_thread(
            lambda: TLSSocket.wrap(b, server_context, server_side=True, timeout=unit(5))
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            TLSSocket.wrap(
                a, ssl.create_default_context(), server_hostname="localhost", timeout=unit(5)
            )
        thread.join(unit(5))
        # The client's alert reached the server: it fails instead of waiting.
        assert isinstance(out[0], ssl.SSLError), out[0]


def test_handshake_with_a_silent_peer_times_out(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    _, client_context = contexts
    a, b = socket.socketpair()
    with a, b, pytest.raises(TimeoutError):
        TLSSocket.wrap(a, client_context, server_hostname="localhost", timeout=unit(0.3))


def test_peer_closing_during_the_handshake_is_an_os_error(
    contexts: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    _, client_context = contexts
    a, b = socket.socketpair()
    b.close()
    with a, pytest.raises(OSError):
        TLSSocket.wrap(a, client_context, server_hostname="localhost", timeout=unit(5))


def test_tls_details(tls_pair: tuple[TLSSocket, TLSSocket]) -> None:
    client, server = tls_pair
    assert client.version() == server.version() and client.version() is not None
    assert client.getpeercert()["subjectAltName"] == (("DNS", "localhost"),)
    assert client.selected_alpn_protocol() is None
    assert client.family == socket.AF_UNIX
