"""``wsconform cases [PATTERNS] [--show ID]``: the case catalog, readable from the shell.

Most of the 517 ids are generated from tables (UTF-8 vectors, close codes, sizes,
deflate parameters), so reading ``cases/`` is a poor way to find one. Without
``--show`` the command lists the selected cases, grouped under their section and
subsection titles, one line per case: the id and the first line of its description.
PATTERNS are those of ``test-server --cases``: comma-separated or repeated, a literal
id without ``*``, a pattern matched from the start of the id with it.

``--show ID`` prints one case: description, expectation, its steps in order, the
expected event alternatives (OK first, then NON-STRICT; anything else is FAILED), how
the connection must end, and its timers.

Exit codes: 0, or 2 for an unknown id or a pattern that selects nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

from wsconform.cases import catalog
from wsconform.cases.exceptions import UnknownCaseError
from wsconform.cases.handshake import handshake_lines
from wsconform.cases.model import (
    CLOSE_HANDSHAKE_TIMEOUT,
    OPEN_HANDSHAKE_TIMEOUT,
    SERVER_CONNECTION_DROP_TIMEOUT,
    Case,
    CloseAfter,
    ContinueLater,
    EchoLoop,
    Event,
    ExpectEcho,
    KillAfter,
    RecordTimeout,
    RequireDeflate,
    SendClose,
    SendFrame,
    SendMessage,
    SendWireFrame,
    SetWirelog,
    Step,
    StreamFrameData,
    StreamFrameHeader,
)
from wsconform.cases.testdata import by_key

from ..record.describe import describe_events
from ..report.html_views import event_text, opcode_name
from ..report.json_report import payload_text
from .test_server import UsageError, select_cases

__all__ = ["describe_case", "list_cases", "plain_text", "register", "run", "step_text"]

EXIT_OK = 0
EXIT_USAGE = 2

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?b>", re.IGNORECASE)


def plain_text(text: str) -> str:
    """A catalog text without its little HTML: ``<br>`` becomes a line break, ``<b>`` goes."""
    return _TAG.sub("", _BREAK.sub("\n", text))


def _first_line(text: str) -> str:
    return next((line for line in plain_text(text).splitlines() if line.strip()), "")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def list_cases(cases: Sequence[Case], out: TextIO) -> None:
    """One line per case (id and the first line of its description), under section and
    subsection headings, then the count."""
    section: str | None = None
    subsection: str | None = None
    for case in cases:
        if case.section_label != section:
            section, subsection = case.section_label, None
            print(f"{section} {catalog.section_title(section)}", file=out)
        if case.subsection is not None and case.subsection != subsection:
            subsection = case.subsection
            title = catalog.subsection_title(subsection)
            print(f"  {subsection}{'' if title is None else ' ' + title}", file=out)
        print(f"    {case.id:<9} {_first_line(case.description)}", file=out)
    print(_plural(len(cases), "case"), file=out)


def _bytes(payload: bytes) -> str:
    """Payload bytes as quoted text when they are UTF-8, else as ``0x`` hex."""
    shown = payload_text(payload)
    # payload_text falls back to hex when its (possibly cut) text is not UTF-8.
    if shown.startswith("0x") and not payload.startswith(b"0x"):
        return shown
    return repr(shown)


def _data(payload: bytes, length: int) -> str:
    return f"{length} B" if not payload else f"{length} B {_bytes(payload)}"


def _event(event: Event) -> str:
    text = event_text(event)
    return text[:-2] if text.endswith(": ") else text


def step_text(step: Step) -> str:
    """One step of a case in words."""
    match step:
        case SendFrame():
            what = f"send a {opcode_name(step.opcode)} frame (opcode {step.opcode})"
            flags = f"fin={int(step.fin)}, rsv={step.rsv}"
            if step.repeat_length is not None:
                body = f"{_bytes(step.payload)} repeated to {step.repeat_length} B"
            else:
                body = _data(step.payload, step.length)
            how = ""
            if step.chopsize is not None:
                how = f", written in chops of {step.chopsize} B"
            elif step.sync:
                how = ", as its own write"
            return f"{what}, {flags}, payload {body}{how}"
        case SendWireFrame():
            what = f"send a raw {opcode_name(step.opcode)} frame (opcode {step.opcode})"
            flags = f"fin={int(step.fin)}, rsv={step.rsv}"
            mask = {None: "masked as the role says", True: "masked", False: "unmasked"}
            fields = [mask[step.masked]]
            if step.mask_key is not None:
                fields.append(f"masking key {step.mask_key.hex()}")
            if step.length is not None:
                fields.append(f"declared length {step.length}")
            if step.length_bits is not None:
                fields.append(f"{step.length_bits}-bit length field")
            if step.chopsize is not None:
                part = "its header" if step.chop_header else "written"
                fields.append(f"{part} in chops of {step.chopsize} B")
            body = _data(step.payload, len(step.payload))
            return f"{what}, {flags}, payload {body}, {', '.join(fields)}"
        case SendMessage():
            kind = "binary" if step.binary else "text"
            data = step.data()
            size = f"{len(data)} B"
            if step.repeat_length is not None:
                size = f"{_bytes(step.payload)} repeated to {step.repeat_length} B"
            cut = (
                "the case's auto-fragment size"
                if step.fragment_size is None
                else f"fragments of {step.fragment_size} B"
            )
            return f"send a {kind} message of {size} (compressed if deflate is on), {cut}"
        case SendClose():
            if step.code is None:
                body = "an empty body" if not step.reason else f"reason {_bytes(step.reason)} only"
            else:
                body = f"code {step.code}"
                if step.reason is not None:
                    body += f", reason {_bytes(step.reason)}"
            raw = " (raw: any body, legal or not)" if step.raw else ""
            return f"start the closing handshake: a close frame with {body}{raw}"
        case StreamFrameHeader():
            return (
                f"send only the header of a {opcode_name(step.opcode)} frame "
                f"(opcode {step.opcode}, fin={int(step.fin)}, rsv={step.rsv}) "
                f"declaring {step.length} B of payload"
            )
        case StreamFrameData():
            return f"send {_data(step.data, len(step.data))} of that frame's payload"
        case ContinueLater():
            tag = "" if step.tag is None else f" (tag {step.tag})"
            return f"pause {step.delay:g} s{tag}, still reading; stop if the connection closed"
        case RecordTimeout():
            return (
                f"record the timeout marker {step.tag} if the connection is still open, "
                "else stop here"
            )
        case KillAfter():
            return (
                f"arm killAfter {step.delay:g} s: then fail the connection (close 1001) if "
                "open, or drop TCP if closing"
            )
        case CloseAfter():
            return f"arm closeAfter {step.delay:g} s: then send an empty close if still open"
        case SetWirelog():
            return f"switch the wire log {'on' if step.enabled else 'off'}"
        case RequireDeflate():
            return "stop with UNIMPLEMENTED unless permessage-deflate was negotiated"
        case ExpectEcho():
            kind = "binary" if step.binary else "text"
            return (
                f"expect the echo of a {kind} message of {step.length} B within "
                f"{step.wait:g} s (type and length checked)"
            )
        case EchoLoop():
            kind = "binary" if step.binary else "text"
            source = (
                f"read in turn from {by_key(step.data_file).file_name}, echo checked by SHA-1"
                if step.data_file is not None
                else f"{_bytes(step.pattern)} repeated, echo checked by type and length"
            )
            return (
                f"send {step.count} {kind} messages of {step.length} units, one at a time, "
                f"{source}; all within {step.wait:g} s"
            )
    raise TypeError(f"not a step: {step!r}")  # pragma: no cover


def _expected(case: Case) -> Iterator[str]:
    if not case.expected:
        yield "  none: the case's own logic judges the peer (see the steps)"
        return
    for verdict, events in case.expected.items():
        shown = "; ".join(_event(event) for event in events) or "no event at all"
        yield f"  {verdict:<11} {shown}"
    yield "  FAILED      any other list of received events"
    if case.informational is not None:
        yield "  (informational: only reported, both verdicts become INFORMATIONAL)"


def _close(case: Case) -> Iterator[str]:
    close = case.expected_close
    closer = "the tester" if close.closed_by_me else "the peer"
    codes = " or ".join(str(code) for code in dict.fromkeys(close.close_codes))
    yield f"  {closer} sends the first close frame"
    yield f"  the peer's close code: {codes} (a close frame without a code is accepted too)"
    if close.require_clean:
        yield "  a clean close is required: the peer's close frame must arrive"
    else:
        yield "  the peer may drop TCP without a close frame"
    if close.fatal_wrong_endpoint:
        yield "  a wrong closing side fails behavior too"
    if case.wrong_code_fails:
        yield "  a wrong close code fails behavior too"
    if case.expected and close.closed_by_me and not case.suppress_auto_close:
        yield (
            f"  the tester closes with {close.close_codes[0]} once the received events "
            "equal every alternative"
        )
    if case.expected_tx_frames:
        counts = ", ".join(
            f"{count} {opcode_name(opcode)}" for opcode, count in case.expected_tx_frames.items()
        )
        yield f"  the tester itself must have sent: {counts} frames"


def _timers(case: Case) -> Iterator[str]:
    for step in case.steps:
        if isinstance(step, KillAfter):
            yield f"  killAfter {step.delay:g} s"
        elif isinstance(step, CloseAfter):
            yield f"  closeAfter {step.delay:g} s"
        elif isinstance(step, ContinueLater):
            yield f"  pause {step.delay:g} s" + ("" if step.tag is None else f" (tag {step.tag})")
    yield (
        f"  library timers: opening handshake {OPEN_HANDSHAKE_TIMEOUT:g} s, closing "
        f"handshake {CLOSE_HANDSHAKE_TIMEOUT:g} s, server TCP drop "
        f"{SERVER_CONNECTION_DROP_TIMEOUT:g} s (test-server --open-timeout, "
        "--close-timeout, --drop-timeout)"
    )


def _options(case: Case) -> Iterator[str]:
    options = case.options
    if options.auto_fragment_size:
        yield f"  auto-fragment size {options.auto_fragment_size} B"
    if options.deflate is not None:
        offers = ", ".join(offer.header_value() for offer in options.deflate.offers)
        yield f"  offers Sec-WebSocket-Extensions: {offers}"
    if case.report_time:
        yield "  the report shows the case's duration"


def describe_case(case: Case) -> str:
    """The whole case in words: the text of ``--show``."""
    title = catalog.section_title(case.section_label)
    where = f"{case.section_label} {title}"
    if case.subsection is not None:
        sub = catalog.subsection_title(case.subsection)
        where += f" / {case.subsection}" + ("" if sub is None else f" {sub}")
    lines = [
        f"Case {case.id} (run index {catalog.run_index(case.id)}): {where}",
        "",
        "Description:",
        *(f"  {line}" for line in plain_text(case.description).splitlines()),
        "Expectation:",
        *(f"  {line}" for line in plain_text(case.expectation).splitlines()),
        "Steps:",
        *(f"  {i:>2}. {step_text(step)}" for i, step in enumerate(case.steps, start=1)),
        "Expected events (the first alternative equal to the received events wins):",
        *_expected(case),
        "Close:",
        *_close(case),
        "Timers:",
        *_timers(case),
    ]
    for alternative in case.alternatives:
        lines += [
            f"Also accepted ({alternative.verdict}): {describe_events(alternative.events)}, "
            "with this close:",
            # The auto-close follows the case's own expectation, not an alternative's.
            *(
                line
                for line in _close(
                    dataclasses.replace(case, expected_close=alternative.expected_close)
                )
                if "once the received events" not in line
            ),
        ]
    options = list(_options(case))
    if options:
        lines += ["Options:", *options]
    handshake = handshake_lines(case)
    if handshake:
        heading = "Request" if case.applies_to == "server" else "Answer"
        lines += [f"{heading} the tester writes ({{host}}, {{key}}, {{accept}} filled in):"]
        lines += [f"  {line}" for line in handshake]
    return "\n".join(lines)


def register(subparsers: Any) -> None:
    """Add the ``cases`` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "cases",
        help="list the case catalog, or show one case's steps and expectations",
        description=(
            "List the catalog's cases (id and description, under section titles), "
            "or with --show ID one case's steps, expected events, close expectations "
            "and timers. PATTERNS work as in test-server --cases. Exit 2 for an "
            "unknown id or patterns that select no case."
        ),
    )
    parser.add_argument(
        "patterns",
        nargs="*",
        metavar="PATTERNS",
        help="case ids or patterns, comma-separated or repeated (default: *)",
    )
    parser.add_argument(
        "--exclude", action="append", metavar="PATTERNS", help="case patterns to leave out"
    )
    parser.add_argument(
        "--catalog",
        choices=sorted(catalog.CATALOGS),
        help="Autobahn's cases (autobahn), wsconform's (wsconform) or both (all); "
        "default autobahn, or all when PATTERNS are given (docs/catalogs.md)",
    )
    parser.add_argument("--show", metavar="ID", help="show this case in full")
    parser.set_defaults(handler=run)


def _fail(message: str) -> int:
    print(f"wsconform cases: {message}", file=sys.stderr)
    return EXIT_USAGE


def run(args: argparse.Namespace) -> int:
    """The ``cases`` command; returns the exit status."""
    if args.show is not None:
        if args.patterns or args.exclude:
            return _fail("--show takes one case id and no PATTERNS or --exclude")
        try:
            case = catalog.get(args.show)
        except UnknownCaseError as exc:
            return _fail(str(exc))
        print(describe_case(case))
        return EXIT_OK
    try:
        selected = select_cases(args.patterns, args.exclude, catalog_name=args.catalog)
    except UsageError as exc:
        return _fail(str(exc))
    try:
        list_cases(selected, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # `wsconform cases | head`: the reader has seen enough.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stays open until exit)
    return EXIT_OK
