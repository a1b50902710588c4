"""Corpus files: written, read back, refused when bad, turned into catalog cases."""

from __future__ import annotations

import json
import pathlib

import pytest

from tests.harness.wire.loopback import run_case
from wsconform.cases import catalog
from wsconform.cases.families import corpus as corpus_family
from wsconform.harness.fuzz import corpus
from wsconform.harness.fuzz.conversation import Conversation, Send
from wsconform.harness.fuzz.corpus import (
    ENV_VAR,
    PACKAGE_CORPUS,
    CorpusEntry,
    CorpusError,
    entry_of,
    load_cases,
    load_dir,
    load_entries,
    load_file,
    save,
    search_path,
)
from wsconform.harness.fuzz.runner import FuzzSettings, fuzz
from wsconform.harness.wire import protocol as tester
from wsconform.harness.wire.frame import WireFrame

PING_IN_MESSAGE = Conversation(
    (
        Send(WireFrame(2, b"a", fin=False, masked=True)),
        Send(WireFrame(9, b"p", masked=True)),
        Send(WireFrame(0, b"b", masked=True)),
    )
)


def test_the_exports_exist() -> None:
    for name in corpus.__all__:
        assert hasattr(corpus, name), name


def test_an_entry_round_trips_through_its_file(tmp_path: pathlib.Path) -> None:
    entry = CorpusEntry(PING_IN_MESSAGE, "server", {"seed": 3}, "a note")
    path = save(entry, tmp_path / "new")
    assert path.name == f"{PING_IN_MESSAGE.digest()}.json"
    assert load_file(path) == entry
    assert json.loads(path.read_text())["id"] == entry.case_id == f"corpus.{path.stem}"
    assert load_dir(tmp_path / "new") == [entry]
    assert load_dir(tmp_path / "missing") == []


def test_an_entry_is_a_case_with_the_oracles_expectations() -> None:
    case = CorpusEntry(PING_IN_MESSAGE).case()
    assert case.id.startswith("corpus.") and case.applies_to == "server"
    result, _link = run_case(case, tester.CLIENT)
    assert result.outcome.label == "OK"
    assert CorpusEntry(PING_IN_MESSAGE, "client").case().applies_to == "client"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "not a JSON object"),
        ('{"conversation": []}', "non-empty list"),
        ('{"conversation": [{"opcode": 99}]}', "frame 1"),
        ('{"conversation": [{"opcode": 2}], "target": "both"}', "target must be"),
        ('{"conversation": [{"opcode": 2}], "found": []}', "'found' must be an object"),
        ('{"conversation": [{"opcode": 2}], "id": "corpus.0000000000"}', "edited"),
    ],
)
def test_a_bad_file_is_refused_with_its_name(
    tmp_path: pathlib.Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(CorpusError, match=message) as caught:
        load_file(path)
    assert str(path) in str(caught.value)


def test_loading_a_directory_keeps_the_good_files_and_names_the_bad(
    tmp_path: pathlib.Path,
) -> None:
    save(CorpusEntry(PING_IN_MESSAGE), tmp_path)
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "zz.json").write_text('{"conversation": [{"opcode": 16}]}')
    entries, problems = load_entries([tmp_path, tmp_path])
    assert [e.conversation for e in entries] == [PING_IN_MESSAGE]
    assert len(problems) == 2 and any("zz.json" in p for p in problems)
    cases, _problems = load_cases([tmp_path], kill_after=0.5)
    assert [c.id for c in cases] == [entries[0].case_id]


def test_the_search_path_is_the_package_then_the_environment(tmp_path: pathlib.Path) -> None:
    assert search_path({}) == [PACKAGE_CORPUS]
    other = tmp_path / "mine"
    joined = f"{other}{':'}{PACKAGE_CORPUS}"
    assert search_path({ENV_VAR: joined}) == [PACKAGE_CORPUS, other]
    assert PACKAGE_CORPUS.name == "corpus" and (PACKAGE_CORPUS / "__init__.py").is_file()


def test_the_catalog_family_holds_the_package_corpus() -> None:
    cases, problems = load_cases(search_path())
    assert sorted(c.id for c in corpus_family.CASES) == sorted(c.id for c in cases)
    assert corpus_family.PROBLEMS == problems == []
    assert {c.id for c in corpus_family.CASES} <= {c.id for c in catalog.CASES}
    assert all(c.applies_to in ("server", "client") for c in corpus_family.CASES)


@pytest.mark.parametrize("entry", load_dir(PACKAGE_CORPUS), ids=lambda e: e.case_id)
def test_the_reference_core_passes_every_case_of_the_package_corpus(entry: CorpusEntry) -> None:
    role = tester.CLIENT if entry.target == "server" else tester.SERVER
    result, _link = run_case(entry.case(), role)
    assert result.outcome.label == "OK", result.verdicts.reason
    assert entry.note and entry.found["verdict"] == "FAILED"


def test_a_finding_becomes_an_entry_that_says_where_it_was_found() -> None:
    result = fuzz(
        lambda case: run_case(case, tester.CLIENT, echo=False)[0],
        FuzzSettings(seed=1, max_examples=20),
    )
    assert result.finding is not None
    entry = entry_of(result.finding, url="ws://127.0.0.1:9/")
    assert entry.conversation == result.finding.conversation
    assert entry.found["verdict"] == "FAILED" and entry.found["seed"] == 1
    assert entry.found["url"] == "ws://127.0.0.1:9/" and entry.found["reason"]
