"""Fuzzing clients: the tester serves, a client driver loop connects again and again.

The driver is the one docs/fuzzing.md shows, here with the reference's sync client
(conforming: no mismatch) and with a client that never echoes (found, shrunk to one
frame). A client that never connects is a harness error; ``stop`` ends the wait at once.
"""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

from tests.timing import unit
from wsconform.harness.fuzz.clients import fuzz_clients
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.wire.frame import WireFrame
from wsconform.reference.protocol.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
)
from wsconform.reference.sync.client import connect

from .test_runner import ci


def drive(url: str, stop: threading.Event, *, echo: bool = True) -> None:
    """Connect, echo every message with its type until the connection closes, connect
    again (after a ``503``, a moment later); stop when the connection is refused."""
    while not stop.is_set():
        try:
            ws = connect(url, compression=None, open_timeout=unit(5), max_size=None)
            with ws, contextlib.suppress(ConnectionClosed, TimeoutError):
                while True:
                    message = ws.recv(timeout=unit(5))
                    if echo:
                        ws.send(message)
        except InvalidStatus:
            time.sleep(0.005)  # no conversation ready yet
        except (OSError, InvalidHandshake):
            return


@pytest.mark.timeout(60)
def test_the_reference_client_gives_no_mismatch() -> None:
    stop = threading.Event()

    def listening(url: str) -> None:
        threading.Thread(target=drive, args=(url, stop), daemon=True).start()

    try:
        result, replayed = fuzz_clients(0, ci(seed=5, max_examples=120), listening=listening)
    finally:
        stop.set()
    assert result.error is None, result.error
    assert result.finding is None, "\n".join(result.finding.conversation.describe())
    assert result.examples == 120 and replayed == []


@pytest.mark.timeout(60)
def test_a_client_that_never_echoes_is_found() -> None:
    stop = threading.Event()

    def listening(url: str) -> None:
        threading.Thread(
            target=drive, args=(url, stop), kwargs={"echo": False}, daemon=True
        ).start()

    try:
        result, _replayed = fuzz_clients(0, ci(seed=5, max_examples=120), listening=listening)
    finally:
        stop.set()
    finding = result.finding
    assert finding is not None and result.error is None
    assert finding.conversation == Conversation((Send(WireFrame(2)),))
    assert finding.case.applies_to == "client"


def test_no_client_is_a_harness_error() -> None:
    result, _replayed = fuzz_clients(0, ci(seed=1, max_examples=5), wait=unit(0.3))
    assert result.finding is None and result.error is not None
    assert "no client connected within" in result.error.message


def test_stop_ends_the_wait_for_a_client_at_once() -> None:
    stop = threading.Event()
    timer = threading.Timer(unit(0.3), stop.set)
    timer.start()
    started = time.monotonic()
    try:
        result, _replayed = fuzz_clients(0, ci(seed=1, max_examples=5), wait=unit(30), stop=stop)
    finally:
        timer.cancel()
    # Interrupted while waiting: no harness error, no finding, long before ``wait``.
    assert result.interrupted and result.error is None and result.finding is None
    assert time.monotonic() - started < unit(5)
