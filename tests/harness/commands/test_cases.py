"""``wsconform cases [PATTERNS] [--show ID]``."""

from __future__ import annotations

import re

import pytest

from wsconform.cases import catalog
from wsconform.cases.model import Case, SendFrame
from wsconform.harness.cli import build_parser, main
from wsconform.harness.commands import cases as cases_module
from wsconform.harness.commands.cases import describe_case, plain_text, step_text

_CASE_LINE = re.compile(r"^ {4}(\d+(?:\.\d+)+) +(\S.*)$")


def _listed(output: str) -> list[str]:
    return [m.group(1) for line in output.splitlines() if (m := _CASE_LINE.match(line))]


def test_exports() -> None:
    for name in cases_module.__all__:
        assert hasattr(cases_module, name), name


def test_registered_in_the_cli() -> None:
    assert "cases" in build_parser().format_help()


def test_lists_the_whole_catalog_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    # Without --catalog: Autobahn's catalog (docs/catalogs.md).
    assert _listed(out) == [case.id for case in catalog.AUTOBAHN_CASES]
    assert out.splitlines()[-1] == f"{len(catalog.AUTOBAHN_CASES)} cases"
    # Section and subsection titles head their cases; descriptions lose their markup.
    assert "12 WebSocket Compression (different payloads)\n" in out
    assert "  6.4 Fail-fast on invalid UTF-8\n" in out
    assert "<br>" not in out and "<b>" not in out
    first = catalog.get("1.1.1").description
    assert f"    1.1.1     {first}\n" in out


def test_patterns_work_as_in_test_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "6.4.*,12.1.1", "2.1", "--exclude", "6.4.2"]) == 0
    out = capsys.readouterr().out
    assert _listed(out) == ["2.1", "6.4.1", "6.4.3", "6.4.4", "12.1.1"]
    assert out.splitlines()[-1] == "5 cases"
    assert main(["cases", "7.1.6"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 case"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["cases", "--show", "99.1"], "unknown case id '99.1'"),
        (["cases", "99.1"], "unknown case id '99.1'"),
        (["cases", "99.*"], "select no case"),
        (["cases", "1.*", "--show", "1.1.1"], "--show takes one case id"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("wsconform cases: ")
    assert needle in captured.err


def test_show_a_generated_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "--show", "6.4.3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Case 6.4.3 (run index 76): 6 UTF-8 Handling / 6.4 Fail-fast")
    # Steps in order, with the streamed frame's parts and its invalid bytes in hex.
    assert (
        "   1. send only the header of a TEXT frame (opcode 1, fin=0, rsv=0) declaring 21 B" in out
    )
    assert "   5. send 4 B 0xf4908080 of that frame's payload" in out
    assert "  10. arm killAfter 1 s" in out
    # Both expected alternatives, then what everything else earns.
    assert "  OK          timeout marker A\n" in out
    assert "  NON-STRICT  timeout marker A; timeout marker B\n" in out
    assert "  FAILED      any other list of received events\n" in out
    # The close expectation and the timers.
    assert "  the peer sends the first close frame\n" in out
    assert "  the peer's close code: 1007 " in out
    assert "  a wrong closing side fails behavior too\n" in out
    assert "  pause 1 s (tag A)\n  pause 1 s (tag B)\n  killAfter 1 s\n" in out
    # The description's <br> became line breaks.
    assert "\n  PART2 = f4908080\n" in out


def test_show_a_deflate_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "--show", "13.3.5"]) == 0
    out = capsys.readouterr().out
    assert "1000 text messages of 4096 units, one at a time, read in turn from data1.json" in out
    assert "none: the case's own logic judges the peer" in out
    assert "server_max_window_bits=9" in out
    assert "  closeAfter 480 s\n" in out


def test_show_a_handshake_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cases", "--show", "hs.5.7"]) == 0
    out = capsys.readouterr().out
    assert "Request the tester writes ({host}, {key}, {accept} filled in):\n" in out
    assert "  Sec-WebSocket-Key: {key}\n" in out
    assert "  X-Wsconform-Long: aaaa" in out and "... (65536 characters)" in out
    assert main(["cases", "--show", "hc.6.1"]) == 0
    out = capsys.readouterr().out
    assert "Answer the tester writes" in out and "(written 1 byte(s) per TCP write)" in out


@pytest.mark.parametrize("case", catalog.CASES, ids=lambda case: case.id)
def test_every_case_can_be_shown(case: Case) -> None:
    text = describe_case(case)
    steps = [line for line in text.splitlines() if re.match(r"^ +\d+\. ", line)]
    assert len(steps) == len(case.steps)
    for verdict in case.expected:
        assert f"\n  {verdict:<11} " in text
    for code in case.expected_close.close_codes:
        assert str(code) in text.split("\nClose:\n", 1)[1]


def test_plain_text() -> None:
    assert plain_text("a <b>b</b><br>c<BR/>d") == "a b\nc\nd"


def test_payloads_are_text_or_hex() -> None:
    assert step_text(SendFrame(1, b"Hello")).endswith("payload 5 B 'Hello'")
    assert step_text(SendFrame(1, b"\xf4\x90\x80\x80")).endswith("payload 4 B 0xf4908080")
    # Cut inside a code point: the long payload falls back to hex, unquoted.
    cut = ("κόσμε".encode() * 20)[1:]
    assert f"payload {len(cut)} B 0x" in step_text(SendFrame(1, cut))
