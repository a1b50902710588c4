"""Reading Autobahn's fuzzingclient spec files."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

from wsconform.harness.commands import spec
from wsconform.harness.commands.spec import Server, SpecError, load_spec


def write(tmp_path: pathlib.Path, data: Any) -> pathlib.Path:
    path = tmp_path / "fuzzingclient.json"
    path.write_text(json.dumps(data))
    return path


def test_the_module_exports_what_it_lists() -> None:
    assert all(hasattr(spec, name) for name in spec.__all__)


def test_autobahns_example_file(tmp_path: pathlib.Path) -> None:
    # The fuzzingclient.json that wstest --mode fuzzingclient writes as its template.
    path = write(tmp_path, {
        "outdir": "./reports/servers",
        "servers": [{"agent": "AutobahnServer", "url": "ws://127.0.0.1:9001",
                     "options": {"version": 18}}],
        "cases": ["*"],
        "exclude-cases": [],
        "exclude-agent-cases": {},
        "options": {"failByDrop": False},
    })  # fmt: skip
    loaded = load_spec(path)
    assert loaded.servers == (Server("AutobahnServer", "ws://127.0.0.1:9001"),)
    assert loaded.cases == ("*",)
    assert loaded.outdir == "./reports/servers"


def test_agent_exclusions_match_agent_patterns(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, {
        "servers": [{"agent": "a1", "url": "ws://h/"}, {"agent": "b", "url": "ws://h/"}],
        "exclude-cases": ["9.*"],
        "exclude-agent-cases": {"a*": ["12.*", "13.*"]},
    })  # fmt: skip
    loaded = load_spec(path)
    assert loaded.excluded("a1") == ["9.*", "12.*", "13.*"]
    assert loaded.excluded("b") == ["9.*"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "servers must be a non-empty list"),
        ({"servers": [{"agent": "a"}]}, "servers[0].url must be a ws:// or wss:// URL"),
        ({"servers": [{"url": "ws://h/"}]}, "servers[0].agent must be a name"),
        ({"servers": [{"agent": "a", "url": "ws://h/", "x": 1}]}, "unknown key servers[0].x"),
        ({"servers": [{"agent": "a", "url": "u"}], "cases": "1.*"}, "cases must be a list"),
        ({"servers": [{"agent": "a", "url": "u"}] * 2}, "agent 'a' is listed twice"),
        ([], "not a spec file"),
    ],
)
def test_bad_spec_files(tmp_path: pathlib.Path, data: Any, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, data))
    assert str(info.value).startswith(f"{tmp_path / 'fuzzingclient.json'}: {message}")
