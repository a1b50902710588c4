"""``wsconform test-client --tls-cert FILE --tls-key FILE``: the fuzzing server over TLS.

A real client (``websockets``' sync driver loop of :mod:`tests.clients`, trusting a CA
made by ``trustme`` for the test) runs cases over ``wss://``; a client that speaks
plain HTTP to the TLS port loses its own connection only; a key that is not the
certificate's is one line and exit 2 before anything listens.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import socket
import ssl
import subprocess
import sys

import pytest
import trustme

from tests.clients import run_websockets
from tests.timing import unit

CLI = [sys.executable, "-m", "wsconform.harness.cli"]
CASES = "1.1.1,2.1,12.1.1"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_files(ca: trustme.CA, folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A certificate chain for 127.0.0.1 signed by ``ca``, and its key, as PEM files."""
    issued = ca.issue_cert("127.0.0.1")
    cert, key = folder / "cert.pem", folder / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    for extra in issued.cert_chain_pems[1:]:
        extra.write_to_path(str(cert), append=True)
    issued.private_key_pem.write_to_path(str(key))
    return cert, key


def test_a_real_client_over_wss(ca: trustme.CA, tmp_path: pathlib.Path) -> None:
    cert, key = tls_files(ca, tmp_path)
    outdir = tmp_path / "reports"
    process = subprocess.Popen(
        [*CLI, "test-client", "--port", "0", "--once", "--cases", CASES, "--outdir",
         str(outdir), "--tls-cert", str(cert), "--tls-key", str(key)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"wss://127\.0\.0\.1:(\d+)", line)
        assert match is not None, (line, process.stderr.read() if process.stderr else "")
        # Plain HTTP on the TLS port: that connection fails, the server goes on.
        with socket.create_connection(("127.0.0.1", int(match.group(1))), unit(5)) as sock:
            sock.settimeout(unit(10))
            sock.sendall(b"GET /getCaseCount HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := sock.recv(4096):
                answer += chunk
        assert b"HTTP/1.1 101" not in answer
        previous = os.environ.get("SSL_CERT_FILE")
        ca_file = tmp_path / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        # websockets' client verifies with the default context, which reads SSL_CERT_FILE.
        os.environ["SSL_CERT_FILE"] = str(ca_file)
        try:
            assert ssl.create_default_context().cert_store_stats()["x509_ca"] >= 1
            assert run_websockets(match.group(0), "tls-client") == len(CASES.split(","))
        finally:
            if previous is None:
                del os.environ["SSL_CERT_FILE"]
            else:
                os.environ["SSL_CERT_FILE"] = previous
        out, err = process.communicate(timeout=unit(30))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, (out, err)
    index = json.loads((outdir / "index.json").read_text())
    assert sorted(index["tls-client"]) == sorted(CASES.split(","))
    assert {entry["behavior"] for entry in index["tls-client"].values()} == {"OK"}


def test_a_key_that_is_not_the_certificates_is_one_line(
    ca: trustme.CA, tmp_path: pathlib.Path
) -> None:
    # The other one-line errors: tests/harness/commands/test_test_client.py.
    cert, _key = tls_files(ca, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    _other_cert, other_key = tls_files(ca, other)
    done = subprocess.run(
        [*CLI, "test-client", "--port", "0", "--outdir", str(tmp_path / "out"),
         "--tls-cert", str(cert), "--tls-key", str(other_key)],
        capture_output=True, text=True, timeout=unit(30), check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(
        f"wsconform test-client: --tls-cert {cert} --tls-key {other_key}: not a PEM "
        "certificate chain and its key"
    ), line
    assert not (tmp_path / "out").exists()
