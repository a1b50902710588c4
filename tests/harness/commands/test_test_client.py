"""The options of ``wsconform test-client`` checked before anything listens: TLS."""

from __future__ import annotations

import pathlib
import ssl

import pytest
import trustme

from wsconform.harness.commands.case_options import UsageError
from wsconform.harness.commands.test_client import tls_server_context


@pytest.fixture
def pem(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    issued = trustme.CA().issue_cert("127.0.0.1")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    return cert, key


def test_no_tls_options_serve_ws() -> None:
    assert tls_server_context(None, None) is None


def test_a_cert_and_its_key_serve_wss(pem: tuple[pathlib.Path, pathlib.Path]) -> None:
    cert, key = pem
    context = tls_server_context(str(cert), str(key))
    assert isinstance(context, ssl.SSLContext)
    assert context.protocol is ssl.PROTOCOL_TLS_SERVER


def test_bad_tls_options_are_one_line(
    pem: tuple[pathlib.Path, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    cert, key = pem
    junk = tmp_path / "junk.pem"
    junk.write_text("not PEM\n")
    missing = tmp_path / "missing.pem"
    cases: list[tuple[str | None, str | None, str]] = [
        (str(cert), None, "--tls-cert needs --tls-key too"),
        (None, str(key), "--tls-key needs --tls-cert too"),
        (str(missing), str(key), f"--tls-cert {missing}: no such file"),
        (str(cert), str(missing), f"--tls-key {missing}: no such file"),
        (str(junk), str(key), f"--tls-cert {junk} --tls-key {key}: not a PEM certificate chain"),
        (str(cert), str(junk), f"--tls-cert {cert} --tls-key {junk}: not a PEM certificate chain"),
    ]
    for given_cert, given_key, message in cases:
        with pytest.raises(UsageError) as raised:
            tls_server_context(given_cert, given_key)
        assert str(raised.value).startswith(message)
        assert "\n" not in str(raised.value)
