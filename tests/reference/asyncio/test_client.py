"""Client helpers that need no socket: backoff, retry policy, argument checks."""

from __future__ import annotations

import itertools
import ssl

import pytest

from wsconform.reference.asyncio.client import backoff, connect, process_exception, unix_connect
from wsconform.reference.protocol.exceptions import (
    InvalidHeader,
    InvalidMessage,
    InvalidStatus,
    NegotiationError,
)
from wsconform.reference.protocol.headers import Headers
from wsconform.reference.protocol.http import Response


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    delays = list(itertools.islice(backoff(1.0, 2.0, 10.0), 8))
    nominal = [1, 2, 4, 8, 10, 10, 10, 10]
    for delay, value in zip(delays, nominal, strict=True):
        assert value / 2 <= delay <= value
    runs = {tuple(itertools.islice(backoff(1.0, 2.0, 10.0), 4)) for _ in range(5)}
    assert len(runs) > 1  # jitter: two runs differ


def _status(code: int) -> InvalidStatus:
    return InvalidStatus(Response(code, "", Headers()))


def test_process_exception_retries_transient_errors() -> None:
    for exc in (
        ConnectionRefusedError(),
        OSError(),
        TimeoutError(),
        EOFError(),
        InvalidMessage("bad HTTP"),
        _status(503),
        _status(500),
    ):
        assert process_exception(exc) is None, exc


def test_process_exception_raises_fatal_errors() -> None:
    for exc in (
        _status(401),
        _status(403),
        _status(404),
        InvalidHeader("Upgrade"),
        NegotiationError("no"),
        ssl.SSLCertVerificationError(),
        ValueError("bug"),
    ):
        assert process_exception(exc) is exc, exc


def test_ssl_with_ws_uri_is_refused() -> None:
    with pytest.raises(ValueError):
        connect("ws://localhost/", ssl=ssl.create_default_context())


def test_unix_connect_default_uri() -> None:
    assert unix_connect("/tmp/x.sock").uri == "ws://localhost/"
    context = ssl.create_default_context()
    assert unix_connect("/tmp/x.sock", ssl=context).uri == "wss://localhost/"
