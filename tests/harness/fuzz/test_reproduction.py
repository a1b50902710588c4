"""A finding printed: frames in hex, the oracle's expectation, the answer, the replay."""

from __future__ import annotations

import pathlib

from tests.harness.wire.loopback import run_case
from wsconform.harness.fuzz import reproduction as module
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.corpus import ENV_VAR, PACKAGE_CORPUS
from wsconform.harness.fuzz.reproduction import describe_expected, replay_commands, reproduction
from wsconform.harness.fuzz.runner import Finding, FuzzSettings, case_of, fuzz
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.frame import WireFrame


def _finding() -> Finding:
    result = fuzz(
        lambda case: run_case(case, tester.CLIENT, echo=False)[0],
        FuzzSettings(seed=4, max_examples=30),
    )
    assert result.finding is not None
    return result.finding


def test_the_exports_exist() -> None:
    for name in module.__all__:
        assert hasattr(module, name), name


def test_a_reproduction_has_everything_to_replay_it(tmp_path: pathlib.Path) -> None:
    finding = _finding()
    saved = tmp_path / f"{finding.conversation.digest()}.json"
    lines = reproduction(finding, url="ws://127.0.0.1:9/", saved=saved, max_examples=30)
    text = "\n".join(lines)
    assert lines[0] == f"mismatch {finding.case_id} (FAILED): 1 frame after shrinking"
    assert "1. BINARY, fin, masked, 0 bytes b'' [burst]" in text
    assert "82 80 00 00 00 00" in text
    assert "expected: a conforming peer sends binary (0 B), then the tester closes" in text
    assert "got: nothing" in text and "seed: 4" in text
    replay = (
        f"{ENV_VAR}={tmp_path} wsconform test-server ws://127.0.0.1:9/ --cases {finding.case_id}"
    )
    assert f"replay: {replay}" in lines
    assert "        wsconform fuzz ws://127.0.0.1:9/ --seed 4 --max-examples 30" in lines
    assert lines[-1] == f"saved: {saved}"


def test_the_package_corpus_needs_no_environment() -> None:
    finding = _finding()
    saved = PACKAGE_CORPUS / f"{finding.conversation.digest()}.json"
    commands = replay_commands(finding, url="ws://h/", saved=saved, max_examples=5)
    assert commands[0] == f"wsconform test-server ws://h/ --cases {finding.case_id}"
    unsaved = replay_commands(finding, url="ws://h/", saved=None, max_examples=5)
    assert unsaved == ["wsconform fuzz ws://h/ --seed 4 --max-examples 5"]


def test_a_failing_prediction_says_where_it_fails() -> None:
    conversation = Conversation(
        (Send(WireFrame(2, b"", masked=True)), Send(WireFrame(3, masked=True)))
    )
    case, prediction = case_of(conversation)
    result, _link = run_case(case, tester.CLIENT)
    finding = Finding(conversation, prediction, case, result, 1)
    assert describe_expected(finding) == (
        "sends binary (0 B) (or, tolerated: nothing), then fails the connection at "
        f"frame 2 ({prediction.reason})"
    )


def test_a_clients_finding_replays_with_test_client_and_serve() -> None:
    finding = _finding()
    saved = PACKAGE_CORPUS / f"{finding.conversation.digest()}.json"
    commands = replay_commands(finding, url="ws://h:9/", saved=saved, max_examples=5, serve=9)
    assert commands == [
        f"wsconform test-client --cases {finding.case_id}",
        "wsconform fuzz --serve 9 --seed 4 --max-examples 5",
    ]
