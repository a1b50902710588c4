"""Verdicts of the opening-handshake cases (:mod:`wsconform.cases.handshake`).

Pure functions of a finished case record, as :mod:`wsconform.harness.verdicts` is for
Autobahn's cases (and that module's :func:`~wsconform.harness.verdicts.judge` still
judges what happens once a handshake case's connection is open: its echo and close).

* A server case (``hs``): the answer is a 101, an HTTP error status, a connection closed
  without an answer, or nothing within the opening handshake timer (always FAILED). The
  case's :class:`~wsconform.cases.handshake.ServerExpectation` says what each earns. A
  101 that the case wants must also pass the tester's checks of a response (RFC 6455
  section 4.1: Upgrade, Connection, Sec-WebSocket-Accept, a subprotocol and extensions
  that were offered, valid permessage-deflate parameters) and RFC 7692 section
  7.1.2.1: "A server accepts an extension negotiation offer with this parameter by
  including the "server_max_window_bits" extension parameter in the extension
  negotiation response to send back to the client with the same or smaller value as
  the offer."
* A client case (``hc``): when the response is one the client must refuse, the client
  must fail the connection (RFC 6455 section 4.1): close TCP without a data frame, before
  the case's wait is over. FAILED when it sends a data frame, sends its next HTTP
  request on the same connection, sends bytes the tester fails the connection on, or
  waits; also when its own request was refused (the case never answered). When it must
  proceed, the echo decides as in any case, and closing instead is FAILED.

Every verdict comes with one sentence saying what the peer did.
"""

from __future__ import annotations

from wsconform.cases.handshake import ClientHandshakeCase, ServerHandshakeCase
from wsconform.cases.model import Case, Verdict
from wsconform.harness.record.observation import KillAfterFired, Observation, RxOctets
from wsconform.harness.record.outcome import CloseVerdict, Verdicts
from wsconform.harness.verdicts import judge
from wsconform.reference.protocol.exceptions import InvalidHandshake
from wsconform.reference.protocol.headers import parse_extension_list, parse_token_list

__all__ = ["judge_case", "judge_client_case", "judge_server_case", "response_headers"]

_NEVER_OPENED = "The connection never opened, as the case expects of this handshake."
_DEFLATE = "permessage-deflate"
_DATA_OPCODES = (0, 1, 2)
#: What an HTTP request line starts with (RFC 9110 section 9: the methods).
_METHODS = (b"GET ", b"HEAD ", b"POST ", b"PUT ", b"DELETE ", b"OPTIONS ")


def judge_case(case: Case, obs: Observation) -> Verdicts:
    """The verdicts of any case: handshake cases here, the others by Autobahn's rules."""
    if isinstance(case, ServerHandshakeCase):
        return judge_server_case(case, obs)
    if isinstance(case, ClientHandshakeCase):
        return judge_client_case(case, obs)
    return judge(case, obs)


def response_headers(head: str | None) -> list[tuple[str, str]]:
    """The header lines of an HTTP head as recorded (names as sent), lenient: a line
    without a colon is skipped."""
    if head is None:
        return []
    lines = head.split("\r\n")[1:]
    headers: list[tuple[str, str]] = []
    for line in lines:
        if not line:
            break
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip(), value.strip()))
    return headers


def _values(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name.lower()]


def _status(obs: Observation) -> int | None:
    line = obs.handshake_status
    if line is None:
        return None
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return None
    return int(parts[1])


def _refused(case: ServerHandshakeCase, verdict: Verdict, text: str) -> Verdicts:
    return Verdicts(verdict, CloseVerdict.OK, text, _NEVER_OPENED)


def judge_server_case(case: ServerHandshakeCase, obs: Observation) -> Verdicts:
    """The verdicts of an ``hs`` case (module docstring)."""
    expect = case.answer
    status = _status(obs)
    if obs.was_open_handshake_timeout and status is None:
        failure = obs.handshake_failure or "no answer in time"
        text = (
            f"The server did not answer the request ({failure}); a server must bound what "
            f"it waits for. The case expects: {case.expectation}"
        )
        return _refused(case, Verdict.FAILED, text)
    if status is None:
        if obs.handshake_status is not None:
            shown = obs.handshake_status[:80]
            text = f"The server answered with something that is not HTTP: {shown!r}."
            return _refused(case, Verdict.FAILED, text)
        verdict = expect.close
        text = "The server closed the connection without an HTTP answer."
        if verdict is not Verdict.OK:
            text += f" The case expects: {case.expectation}"
        return _refused(case, verdict, text)
    if status == 101:
        return _accepted(case, obs)
    return _refusal(case, obs, status)


def _refusal(case: ServerHandshakeCase, obs: Observation, status: int) -> Verdicts:
    expect = case.answer
    line = obs.handshake_status
    verdict = expect.refuse
    text = f"The server refused the request with {line!r}."
    if verdict is not Verdict.OK:
        return _refused(case, verdict, f"{text} The case expects: {case.expectation}")
    if status < 400 and not expect.plain_http:
        text += (
            ' A refusal is an error status: RFC 6455 section 4.2.1 asks for "an appropriate '
            'error code (such as 400 Bad Request)".'
        )
        return _refused(case, Verdict.NON_STRICT, text)
    if status >= 500:
        # RFC 9110 section 15.6: a 5xx says "the server is aware that it has erred"; the
        # request was at fault, and a 4xx says so (RFC 6455 section 4.2.1: "such as 400
        # Bad Request").
        text += " A 5xx status blames the server; the request was at fault: a 4xx says so."
        return _refused(case, Verdict.NON_STRICT, text)
    if expect.version_header:
        versions: list[str] = []
        for value in _values(response_headers(obs.http_response), "Sec-WebSocket-Version"):
            try:
                versions += parse_token_list(value, "Sec-WebSocket-Version")
            except (InvalidHandshake, ValueError):
                continue
        if "13" not in versions:
            text += (
                " It did not list the versions it speaks: RFC 6455 section 4.4 says it must "
                "send a |Sec-WebSocket-Version| header field indicating the version(s) "
                "the server is capable of understanding."
            )
            return _refused(case, Verdict.FAILED, text)
    return _refused(case, Verdict.OK, text)


def _window_bits_offered(case: ServerHandshakeCase) -> int | None:
    """The largest ``server_max_window_bits`` of the request's permessage-deflate offers
    when every one of them carries it (then the accepted one did), else ``None``."""
    bits: list[int] = []
    for value in case.request.values("Sec-WebSocket-Extensions"):
        try:
            elements = parse_extension_list(value)
        except (InvalidHandshake, ValueError):
            return None
        for name, params in elements:
            if name != _DEFLATE:
                continue
            found = [v for k, v in params if k == "server_max_window_bits"]
            if len(found) != 1 or found[0] is None or not found[0].isdigit():
                return None
            bits.append(int(found[0]))
    return max(bits) if bits else None


def _window_bits_problem(case: ServerHandshakeCase, obs: Observation) -> str | None:
    offered = _window_bits_offered(case)
    if offered is None:
        return None
    headers = response_headers(obs.http_response)
    accepted = None
    for value in _values(headers, "Sec-WebSocket-Extensions"):
        try:
            for name, params in parse_extension_list(value):
                if name == _DEFLATE:
                    accepted = params
        except (InvalidHandshake, ValueError):
            return None  # the tester's own checks failed the handshake already
    if accepted is None:
        return None
    found = [v for k, v in accepted if k == "server_max_window_bits"]
    if not found:
        return (
            f"it accepted permessage-deflate without server_max_window_bits, though every "
            f"offer asked for at most {offered}"
        )
    if found[0] is not None and found[0].isdigit() and int(found[0]) > offered:
        return f"it answered server_max_window_bits={found[0]}, above the {offered} offered"
    return None


def _accepts_deflate(obs: Observation) -> bool:
    for value in _values(response_headers(obs.http_response), "Sec-WebSocket-Extensions"):
        try:
            if any(name == _DEFLATE for name, _params in parse_extension_list(value)):
                return True
        except (InvalidHandshake, ValueError):
            continue
    return False


def _accepted(case: ServerHandshakeCase, obs: Observation) -> Verdicts:
    expect = case.answer
    if not expect.wants_accept:
        text = (
            f"The server accepted the request (101 Switching Protocols). The case "
            f"expects: {case.expectation}"
        )
        return Verdicts(expect.accept, CloseVerdict.OK, text, "The server accepted the request.")
    if not obs.opened:
        failure = obs.handshake_failure or "the response failed the tester's checks"
        text = f"The server answered 101, but its response breaks RFC 6455 section 4: {failure}."
        return Verdicts(Verdict.FAILED, CloseVerdict.FAILED, text, text)
    problem = _window_bits_problem(case, obs)
    if expect.deflate_declined and _accepts_deflate(obs):
        problem = "it accepted permessage-deflate though every offer was invalid"
    verdicts = judge(case, obs)
    if problem is not None:
        text = f"The server answered 101, but {problem}. The case expects: {case.expectation}"
        return Verdicts(Verdict.FAILED, verdicts.behavior_close, text, verdicts.result_close)
    return verdicts


def _new_request(obs: Observation) -> bool:
    """Whether the client sent an HTTP request after the one the tester answered: it
    kept the TCP connection of a refused handshake for its next request."""
    reads = [entry for entry in obs.wirelog if isinstance(entry, RxOctets)]
    return any(entry.head.startswith(_METHODS) for entry in reads[1:])


def judge_client_case(case: ClientHandshakeCase, obs: Observation) -> Verdicts:
    """The verdicts of an ``hc`` case (module docstring)."""
    if case.proceed:
        return _judge_proceed(case, obs)
    if not obs.opened:
        # The tester refused the client's own request (or none came): the case never
        # got to its answer.
        reason = obs.handshake_failure or obs.was_not_clean_reason or "no request"
        text = f"The case never answered: the client's upgrade request failed ({reason})."
        return Verdicts(Verdict.FAILED, CloseVerdict.FAILED, text, text)
    sent = sum(obs.rx_frame_stats.get(opcode, 0) for opcode in _DATA_OPCODES)
    if sent:
        text = (
            f"The client sent {sent} data frame(s) after this response, as if the "
            f"connection were open: it should have failed the connection "
            f"(RFC 6455 section 4.1)."
        )
        return Verdicts(Verdict.FAILED, CloseVerdict.OK, text, text)
    if _new_request(obs):
        text = (
            "The client refused the response but kept its TCP connection, and sent its next "
            "HTTP request on it: to fail the connection it must close it (RFC 6455 section "
            '7.1.7: "the endpoint MUST _Close the WebSocket Connection_").'
        )
        return Verdicts(Verdict.FAILED, CloseVerdict.OK, text, text)
    if obs.failed_by_me and not _waited(obs):
        reason = (obs.local_close_reason or b"").decode("utf-8", "replace")
        text = (
            f"The client did not close the connection: it sent bytes the tester failed the "
            f"connection on ({reason}); it should have closed TCP (RFC 6455 section 4.1)."
        )
        return Verdicts(Verdict.FAILED, CloseVerdict.OK, text, text)
    if _waited(obs):
        text = (
            f"The client neither failed the connection nor used it within {case.wait:g} s "
            f"of this response: it should have closed TCP at once (RFC 6455 section 4.1)."
        )
        return Verdicts(Verdict.FAILED, CloseVerdict.OK, text, text)
    how = "closed TCP"
    if obs.remote_close_code is not None or obs.was_clean:
        code = obs.remote_close_code
        how = "sent a close frame" + (f" ({code})" if code is not None else "") + " and closed"
    text = f"The client failed the connection: it {how} without sending a data frame."
    return Verdicts(Verdict.OK, CloseVerdict.OK, text, text)


def _waited(obs: Observation) -> bool:
    return any(isinstance(entry, KillAfterFired) for entry in obs.wirelog)


def _judge_proceed(case: ClientHandshakeCase, obs: Observation) -> Verdicts:
    verdicts = judge(case, obs)
    if verdicts.behavior is Verdict.OK or obs.rx_frame_stats or _waited(obs):
        return verdicts
    text = (
        "The client closed the connection without using it, though this response meets "
        "RFC 6455 section 4.1: it should have opened the connection and echoed the message."
    )
    return Verdicts(Verdict.FAILED, verdicts.behavior_close, text, verdicts.result_close)
