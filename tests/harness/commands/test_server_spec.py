"""Reading Autobahn's fuzzingserver spec files."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from wsconform.harness.commands import server_spec
from wsconform.harness.commands.server_spec import ServerSpec, load_server_spec
from wsconform.harness.commands.spec import SpecError


def write(tmp_path: pathlib.Path, data: Any) -> pathlib.Path:
    path = tmp_path / "fuzzingserver.json"
    path.write_text(json.dumps(data))
    return path


def test_the_module_exports_what_it_lists() -> None:
    assert all(hasattr(server_spec, name) for name in server_spec.__all__)


def test_autobahns_template(tmp_path: pathlib.Path) -> None:
    # The fuzzingserver.json that wstest --mode fuzzingserver writes (older ones carry
    # webport, the port of Autobahn's report web server).
    path = write(tmp_path, {
        "url": "ws://127.0.0.1:9001",
        "options": {"failByDrop": False},
        "outdir": "./reports/clients",
        "webport": 8080,
        "cases": ["*"],
        "exclude-cases": [],
        "exclude-agent-cases": {},
    })  # fmt: skip
    assert load_server_spec(path) == ServerSpec(port=9001, outdir="./reports/clients")


def test_every_key(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, {
        "url": "ws://localhost",
        "protocols": ["wamp"],
        "cases": ["1.*", "2.1"],
        "exclude-cases": ["1.1.1"],
        "exclude-agent-cases": {"Ag*": ["2.*"]},
    })  # fmt: skip
    loaded = load_server_spec(path)
    assert loaded.port == 80
    assert loaded.cases == ("1.*", "2.1")
    assert loaded.protocols == ("wamp",)
    assert loaded.excluded("Agent") == ["1.1.1", "2.*"]
    assert loaded.excluded("Other") == ["1.1.1"]
    assert loaded.agent_excluded("Agent") == ["2.*"]


def test_a_wss_url_serves_tls_with_its_cert_and_key(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, {"url": "wss://127.0.0.1:9443", "cert": "c.pem", "key": "k.pem"})
    assert load_server_spec(path) == ServerSpec(port=9443, tls=("c.pem", "k.pem"))
    path = write(tmp_path, {"url": "wss://127.0.0.1", "cert": "c.pem", "key": "k.pem"})
    assert load_server_spec(path).port == 443


def test_an_empty_object_takes_the_defaults(tmp_path: pathlib.Path) -> None:
    assert load_server_spec(write(tmp_path, {})) == ServerSpec()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a spec file (a JSON object)"),
        ({"servers": []}, "unknown key 'servers'"),
        ({"url": 9001}, "url must be a ws:// or wss:// URL"),
        ({"url": "http://h:1"}, "url 'http://h:1' is not a ws:// or wss:// URL"),
        ({"url": "ws://h:x"}, "url 'ws://h:x': Port could not be cast to integer value as 'x'"),
        ({"url": "wss://h:1"}, "a wss:// url needs cert and key (PEM files)"),
        ({"url": "wss://h:1", "cert": "c.pem"}, "a wss:// url needs key (PEM files)"),
        ({"url": "wss://h:1", "cert": "c.pem", "key": 1}, "key must be the name of a PEM file"),
        ({"key": "k.pem"}, "key is for a wss:// url, not ws://"),
        ({"url": "ws://h:1", "cert": "c.pem", "key": "k.pem"}, "cert is for a wss:// url, not ws://"),
        ({"outdir": 1}, "outdir must be a directory name"),
        ({"options": []}, "options must be an object"),
        ({"webport": "8080"}, "webport must be a port number"),
        ({"protocols": "wamp"}, "protocols must be a list of subprotocol names"),
        ({"cases": "1.*"}, "cases must be a list of case patterns"),
        ({"exclude-cases": [1]}, "exclude-cases must be a list of case patterns"),
        ({"exclude-agent-cases": []}, "exclude-agent-cases must be an object"),
        ({"exclude-agent-cases": {"a": "1.*"}},
         "exclude-agent-cases.a must be a list of case patterns"),
    ],
)  # fmt: skip
def test_bad_spec_files(tmp_path: pathlib.Path, data: Any, message: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(SpecError) as raised:
        load_server_spec(path)
    assert str(raised.value) == f"{path}: {message}"


def test_unreadable_files(tmp_path: pathlib.Path) -> None:
    with pytest.raises(SpecError, match="no such file"):
        load_server_spec(tmp_path / "missing.json")
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(SpecError, match="not JSON"):
        load_server_spec(path)
