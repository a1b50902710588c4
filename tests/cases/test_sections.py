"""A sample of cases of sections 1-7 and 10, field by field against Autobahn's case files."""

from __future__ import annotations

from wsconform.cases import catalog
from wsconform.cases.common import PEER_FAILS_1002, PEER_FAILS_1007, TESTER_CLOSES
from wsconform.cases.model import (
    BINARY,
    CLOSE,
    CONT,
    NON_STRICT,
    OK,
    PING,
    PONG,
    TEXT,
    CloseAfter,
    ContinueLater,
    ExpectedClose,
    KillAfter,
    Message,
    Pong,
    RecordTimeout,
    SendClose,
    SendFrame,
    SendMessage,
    StreamFrameData,
    StreamFrameHeader,
    Timeout,
    Verdict,
    fragment_payload,
)
from wsconform.cases.s07_close import INVALID_CODES, VALID_CODES

KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")
HELLO_UTF8 = bytes.fromhex("48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121")
BAD4 = bytes.fromhex("f4908080")


def test_1_1_x_and_1_2_x() -> None:
    lengths = [0, 125, 126, 127, 128, 65535, 65536, 65536]
    for sub, byte, opcode in ((1, b"*", TEXT), (2, b"\xfe", BINARY)):
        for n, length in enumerate(lengths, start=1):
            case = catalog.get(f"1.{sub}.{n}")
            payload = byte * length
            chop = 997 if n == 8 else None
            kill = 10 if n >= 6 else 1
            assert case.steps == (SendFrame(opcode, payload, chopsize=chop), KillAfter(kill))
            assert dict(case.expected) == {OK: (Message(payload, opcode == BINARY),)}
            assert case.expected_close == TESTER_CLOSES
            assert not case.suppress_auto_close


def test_1_1_6() -> None:
    case = catalog.get("1.1.6")
    assert case.steps == (SendFrame(TEXT, b"*" * 65535), KillAfter(10))
    assert case.expected_close == ExpectedClose(True, (1000,), True)


def test_section_2() -> None:
    assert catalog.get("2.3").steps == (
        SendFrame(PING, bytes.fromhex("00fffefdfcfb00ff")),
        CloseAfter(1),
    )
    case = catalog.get("2.5")
    assert case.steps == (SendFrame(PING, b"\xfe" * 126), KillAfter(1))
    assert dict(case.expected) == {OK: ()}
    assert case.expected_close == ExpectedClose(False, (1002,), False)
    assert catalog.get("2.6").steps == (SendFrame(PING, b"\xfe" * 125, chopsize=1), CloseAfter(2))
    assert catalog.get("2.7").steps == (SendFrame(PONG), SendClose(1000), CloseAfter(1))
    case = catalog.get("2.9")
    assert dict(case.expected) == {OK: (Pong(b"ping payload"),)}
    case = catalog.get("2.11")
    pings = [SendFrame(PING, f"payload-{i}".encode(), chopsize=1) for i in range(10)]
    assert case.steps == (*pings, CloseAfter(3))
    assert case.expected[OK] == tuple(Pong(f"payload-{i}".encode()) for i in range(10))


def test_section_3() -> None:
    hello = b"Hello, world!"
    case = catalog.get("3.2")
    assert case.steps == (
        SendFrame(TEXT, hello),
        SendFrame(TEXT, hello, rsv=2),
        SendFrame(PING),
        KillAfter(1),
    )
    assert dict(case.expected) == {OK: (Message(hello),), NON_STRICT: ()}
    assert list(case.expected) == [Verdict.OK, Verdict.NON_STRICT]
    assert case.expected_close == PEER_FAILS_1002
    assert all(s.sync for s in catalog.get("3.3").steps if isinstance(s, SendFrame))
    assert all(s.chopsize == 1 for s in catalog.get("3.4").steps if isinstance(s, SendFrame))
    assert catalog.get("3.6").steps[0] == SendFrame(BINARY, hello, rsv=6)
    assert catalog.get("3.7").steps[0] == SendFrame(CLOSE, rsv=7)


def test_section_4() -> None:
    opcodes = {f"4.1.{n}": 2 + n for n in range(1, 6)} | {f"4.2.{n}": 10 + n for n in range(1, 6)}
    for case_id, opcode in opcodes.items():
        case = catalog.get(case_id)
        reserved = [s for s in case.steps if isinstance(s, SendFrame) and s.opcode == opcode]
        assert len(reserved) == 1, case_id
        assert case.expected_close == PEER_FAILS_1002
        assert case.kill_after == 1
    assert catalog.get("4.1.2").steps[0] == SendFrame(4, b"reserved opcode payload")
    assert catalog.get("4.2.4").steps[1] == SendFrame(14, b"Hello, world!")
    assert all(s.chopsize == 1 for s in catalog.get("4.2.5").steps if isinstance(s, SendFrame))


def test_5_15() -> None:
    case = catalog.get("5.15")
    assert case.steps == (
        SendFrame(TEXT, b"fragment1", fin=False),
        SendFrame(CONT, b"fragment2"),
        SendFrame(CONT, b"fragment3", fin=False),
        SendFrame(TEXT, b"fragment4"),
        KillAfter(1),
    )
    assert dict(case.expected) == {OK: (Message(b"fragment1fragment2"),), NON_STRICT: ()}
    assert case.expected_close == PEER_FAILS_1002


def test_5_19_and_5_20_pause() -> None:
    for case_id, sync in (("5.19", False), ("5.20", True)):
        case = catalog.get(case_id)
        assert case.steps == (
            SendFrame(TEXT, b"fragment1", fin=False, sync=sync),
            SendFrame(CONT, b"fragment2", fin=False, sync=sync),
            SendFrame(PING, b"pongme 1!", sync=sync),
            ContinueLater(1),
            SendFrame(CONT, b"fragment3", fin=False, sync=sync),
            SendFrame(CONT, b"fragment4", fin=False, sync=sync),
            SendFrame(PING, b"pongme 2!", sync=sync),
            SendFrame(CONT, b"fragment5", sync=sync),
            CloseAfter(1),
        )
        assert case.expected[OK] == (
            Pong(b"pongme 1!"),
            Pong(b"pongme 2!"),
            Message(b"fragment1fragment2fragment3fragment4fragment5"),
        )
        assert case.expected_close == TESTER_CLOSES


def test_section_5_patterns() -> None:
    for first in (3, 6, 9, 12):
        frames = [
            [s for s in catalog.get(f"5.{first + i}").steps if isinstance(s, SendFrame)]
            for i in range(3)
        ]
        assert all(not f.sync and f.chopsize is None for f in frames[0])
        assert all(f.sync for f in frames[1])
        assert all(f.chopsize == 1 for f in frames[2])
    assert len(catalog.get("5.16").steps) == 7  # two times three frames, then killAfter


def test_6_1_to_6_3() -> None:
    assert catalog.get("6.1.2").steps == (
        SendFrame(TEXT, b"", fin=False),
        SendFrame(CONT, b"", fin=False),
        SendFrame(CONT, b""),
        CloseAfter(1),
    )
    case = catalog.get("6.2.3")
    assert case.steps == (SendMessage(HELLO_UTF8, fragment_size=1), CloseAfter(1))
    assert len(fragment_payload(HELLO_UTF8, 1)) == 30
    assert len(fragment_payload(KOSME, 1)) == 12
    case = catalog.get("6.3.2")
    invalid = KOSME + bytes.fromhex("eda080") + b"edited"
    assert len(invalid) == 20
    assert case.steps == (SendMessage(invalid, fragment_size=1), KillAfter(1))
    assert case.expected_close == ExpectedClose(False, (1007,), False, fatal_wrong_endpoint=True)


def test_6_4_1() -> None:
    case = catalog.get("6.4.1")
    assert case.steps == (
        SendFrame(TEXT, KOSME, fin=False),
        ContinueLater(1, "A"),
        RecordTimeout("A"),
        SendFrame(CONT, BAD4, fin=False),
        ContinueLater(1, "B"),
        RecordTimeout("B"),
        SendFrame(CONT, b"edited"),
        KillAfter(1),
    )
    assert dict(case.expected) == {
        OK: (Timeout("A"),),
        NON_STRICT: (Timeout("A"), Timeout("B")),
    }
    assert case.expected_close == PEER_FAILS_1007


def test_6_4_2_to_6_4_4() -> None:
    frames = [s for s in catalog.get("6.4.2").steps if isinstance(s, SendFrame)]
    assert [f.payload.hex() for f in frames] == [KOSME.hex() + "f4", "90", "8080656469746564"]
    case = catalog.get("6.4.3")
    assert case.steps[0] == StreamFrameHeader(TEXT, 21, fin=False)
    data = [s.data for s in case.steps if isinstance(s, StreamFrameData)]
    assert data == [KOSME, BAD4, b"edited"]
    assert case.steps[-2:] == (SendFrame(CONT, b"", fin=True), KillAfter(1))
    parts = [s.data.hex() for s in catalog.get("6.4.4").steps if isinstance(s, StreamFrameData)]
    assert parts == [KOSME.hex() + "f4", "90", "8080656469746564"]


def test_7_1_x() -> None:
    case = catalog.get("7.1.1")
    assert case.steps == (SendFrame(TEXT, b"Hello World!"), KillAfter(1))
    assert not case.suppress_auto_close
    assert case.wrong_code_fails
    assert catalog.get("7.1.2").steps == (SendClose(1000), SendFrame(CLOSE), KillAfter(1))
    case = catalog.get("7.1.6")
    assert case.steps[0] == SendFrame(TEXT, b"BAsd7&jh23", repeat_length=262144)
    assert case.informational is not None
    assert not case.wrong_code_fails
    for n in range(2, 7):
        assert catalog.get(f"7.1.{n}").suppress_auto_close


def test_7_3_x() -> None:
    expected = {
        "7.3.1": (SendClose(), (1000,), True),
        "7.3.2": (SendClose(None, b"a", raw=True), (1002,), False),
        "7.3.3": (SendClose(1000), (1000,), True),
        "7.3.4": (SendClose(1000, b"Hello World!"), (1000,), True),
        "7.3.5": (SendClose(1000, b"*" * 123), (1000,), True),
        "7.3.6": (SendClose(1000, b"*" * 124, raw=True), (1002,), False),
    }
    for case_id, (close, codes, clean) in expected.items():
        case = catalog.get(case_id)
        assert case.steps == (close, KillAfter(1))
        assert case.expected_close == ExpectedClose(True, codes, clean)
        assert dict(case.expected) == {OK: ()}
        assert case.wrong_code_fails and case.suppress_auto_close
    assert len(SendClose(1000, b"*" * 123).body()) == 125


def test_7_5_1() -> None:
    case = catalog.get("7.5.1")
    reason = bytes.fromhex("cebae1bdb9cf83cebcceb5eda080656469746564")
    assert case.steps == (SendClose(1000, reason, raw=True), KillAfter(1))
    assert case.expected_close == ExpectedClose(True, (1002, 1007), False)
    assert case.hex_local_close_reason


def test_7_7_and_7_9() -> None:
    assert VALID_CODES == (
        1000,
        1001,
        1002,
        1003,
        1007,
        1008,
        1009,
        1010,
        1011,
        3000,
        3999,
        4000,
        4999,
    )
    assert INVALID_CODES == (0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999)
    for n, code in enumerate(VALID_CODES, start=1):
        case = catalog.get(f"7.7.{n}")
        assert case.steps == (SendClose(code, raw=True), KillAfter(1))
        assert case.expected_close == ExpectedClose(True, (1000, code), True)
        assert case.wrong_code_fails
    for n, code in enumerate(INVALID_CODES, start=1):
        case = catalog.get(f"7.9.{n}")
        assert case.steps == (SendClose(code, raw=True), KillAfter(1))
        assert case.expected_close == ExpectedClose(True, (1002,), False)
        assert case.wrong_code_fails


def test_7_13() -> None:
    for case_id, code in (("7.13.1", 5000), ("7.13.2", 65535)):
        case = catalog.get(case_id)
        assert case.steps == (SendClose(code, raw=True), KillAfter(1))
        assert case.expected_close == ExpectedClose(True, (1000, code, 1002), False)
        assert case.informational is not None
        assert case.informational.result


def test_10_1_1() -> None:
    case = catalog.get("10.1.1")
    assert case.steps == (SendMessage(b"*" * 65536), KillAfter(10))
    assert case.options.auto_fragment_size == 1300
    assert case.expected_tx_frames == {CONT: 50, TEXT: 1}
    pieces = fragment_payload(b"*" * 65536, case.options.auto_fragment_size)
    assert (len(pieces), len(pieces[-1])) == (51, 536)
    assert dict(case.expected) == {OK: (Message(b"*" * 65536),)}
    assert case.expected_close == TESTER_CLOSES


def test_every_case_timer() -> None:
    """The timers each case arms (docs/autobahn.md section 4.1)."""
    kill_1 = ["1.1.1", "1.2.5", "2.5", "3.1", "4.2.5", "5.1", "5.18", "6.3.2", "7.1.1", "7.13.2"]
    for case_id in kill_1:
        assert catalog.get(case_id).kill_after == 1, case_id
    for case_id in ("1.1.6", "1.2.8", "10.1.1"):
        assert catalog.get(case_id).kill_after == 10
    for case_id in ("2.1", "2.4", "2.7", "2.9", "5.3", "5.8", "6.1.1", "6.2.4"):
        assert catalog.get(case_id).close_after == 1, case_id
    assert catalog.get("2.6").close_after == 2
    assert catalog.get("2.10").close_after == 3
    for case in catalog.CASES:
        if case.section == 6 and case.sort_key >= (6, 5):
            assert case.kill_after == 0.5
    assert catalog.get("6.4.4").kill_after == 1
    assert all(catalog.get(f"7.7.{n}").kill_after == 1 for n in range(1, 14))
