"""The strict profile (``--strict``): SHOULD-level rules over the catalog's verdicts.

Autobahn's verdicts are lenient where RFC 6455 says SHOULD, or where it gives a rule
without a measure (how soon is "immediately"). ``--strict`` (h2spec's idea) keeps every
verdict as :func:`wsconform.harness.verdicts.judge` computes it and then applies the
:data:`RULES` to each case that came out OK: the first rule the peer misses turns
``behavior`` into NON-STRICT, with a sentence saying what the peer did and the RFC
sentence it misses. A strict rule never makes a case FAILED, and never touches a case
that is already not OK (FAILED, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED), so the
default gate (``--fail-on failed``) passes the same targets with or without it; ``--fail-on
non-strict`` makes the profile a gate.

Each rule reads only the finished record
(:class:`~wsconform.harness.record.observation.Observation`): the close codes, who
closed, the frames received by opcode, and the times on the connection's clock at
which the opening handshake and the closing handshake completed and TCP was gone.
docs/strict.md lists the rules for users.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from wsconform.cases.handshake import ClientHandshakeCase, ServerHandshakeCase
from wsconform.cases.model import CLOSE, Case, ContinueLater, Verdict

from .record.observation import Observation
from .record.outcome import OK, Verdicts

__all__ = [
    "FAIL_FAST_DELAY",
    "PROMPT_CLOSE_DELAY",
    "RULES",
    "StrictRule",
    "apply_strict",
    "strict_findings",
]

#: Seconds after the closing handshake by which a server has closed TCP under
#: ``--strict``: "immediately" (RFC 6455 section 7.1.1) with room for a loaded machine;
#: Autobahn allows 1 s (its server drop timer, docs/autobahn.md section 4.1).
PROMPT_CLOSE_DELAY = 0.25
#: Seconds after the case starts by which a peer that receives invalid UTF-8 at once
#: has failed the connection under ``--strict``.
FAIL_FAST_DELAY = 0.25

_INVALID_DATA = 1007
_NORMAL = 1000


@dataclasses.dataclass(frozen=True, slots=True)
class StrictRule:
    """One SHOULD-level rule: ``check`` returns what the peer did wrong, or ``None``.

    ``name`` is the rule's key in docs/strict.md; ``rfc`` the sentence it checks, with
    its section.
    """

    name: str
    rfc: str
    check: Callable[[Case, Observation], str | None]


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)} ms"


def _prompt_tcp_close(case: Case, obs: Observation) -> str | None:
    # Only a server closes TCP first; testing a client the tester closes it itself.
    if obs.is_server or obs.dropped_by_me or not obs.was_clean:
        return None
    if obs.close_done_at is None or obs.lost_at is None:
        return None
    delay = obs.lost_at - obs.close_done_at
    if delay <= PROMPT_CLOSE_DELAY:
        return None
    return (
        f"the server closed the TCP connection {_ms(delay)} after the closing handshake, "
        f"not within {_ms(PROMPT_CLOSE_DELAY)}"
    )


def _expects_invalid_utf8(case: Case) -> bool:
    """A case about invalid UTF-8: 1007 is a close code it expects and 1000 is not (7.7.5
    sends the code 1007 itself and expects it echoed or 1000)."""
    codes = case.expected_close.close_codes
    return _INVALID_DATA in codes and _NORMAL not in codes


def _fail_fast_utf8(case: Case, obs: Observation) -> str | None:
    expected = case.expected_close
    if expected.closed_by_me or not _expects_invalid_utf8(case) or obs.opened_at is None:
        return None
    if any(isinstance(step, ContinueLater) for step in case.steps):
        # 6.4.x pace their parts and grade failing fast themselves.
        return None
    end = obs.close_done_at if obs.close_done_at is not None else obs.lost_at
    if end is None or obs.closed_by_me:
        return None
    delay = end - obs.opened_at
    if delay <= FAIL_FAST_DELAY:
        return None
    return (
        f"the peer failed the connection {_ms(delay)} after the invalid UTF-8 was sent, "
        f"not within {_ms(FAIL_FAST_DELAY)}"
    )


def _empty_close_answer(case: Case, obs: Observation) -> str | None:
    # The tester's own close was empty: no code and no body at all (7.3.2 sends one byte).
    if not obs.closed_by_me or obs.failed_by_me or obs.local_close_code is not None:
        return None
    if obs.local_close_reason:
        return None
    code = obs.remote_close_code
    if code is None or code == _NORMAL:
        return None
    return f"the peer answered the tester's empty close frame with code {code}"


def _invalid_utf8_code(case: Case, obs: Observation) -> str | None:
    if not _expects_invalid_utf8(case) or not obs.rx_frame_stats.get(CLOSE):
        return None
    code = obs.remote_close_code
    if code == _INVALID_DATA:
        return None
    said = "no code" if code is None else f"code {code}"
    return f"the peer closed the connection over invalid UTF-8 with {said}, not 1007"


def _close_frame_before_drop(case: Case, obs: Observation) -> str | None:
    if case.expected_close.closed_by_me or obs.closed_by_me or obs.dropped_by_me:
        return None
    # A reset can destroy a close frame that was sent (RFC 6455 section 7.1.1 tells how
    # to close TCP without losing data): only an orderly end of input is judged.
    if obs.rx_frame_stats.get(CLOSE) or not obs.eof_received:
        return None
    return "the peer failed the connection by closing TCP without a close frame"


#: The rules, in the order they are tried (docs/strict.md).
RULES: tuple[StrictRule, ...] = (
    StrictRule(
        "prompt-tcp-close",
        'RFC 6455 section 7.1.1: "The server MUST close the underlying TCP connection '
        'immediately" after the closing handshake.',
        _prompt_tcp_close,
    ),
    StrictRule(
        "fail-fast-utf8",
        'RFC 6455 section 8.1: "When an endpoint is to interpret a byte stream as UTF-8 '
        "but finds that the byte stream is not, in fact, a valid UTF-8 stream, that "
        "endpoint MUST _Fail the WebSocket Connection_\"; Autobahn's 6.4.1 expects it to "
        "fail fast.",
        _fail_fast_utf8,
    ),
    StrictRule(
        "empty-close-answer",
        'RFC 6455 section 5.5.1: "When sending a Close frame in response, the endpoint '
        'typically echos the status code it received"; an empty close has none '
        "(section 7.1.5: 1005), so the answer is an empty close or 1000.",
        _empty_close_answer,
    ),
    StrictRule(
        "utf8-close-code",
        'RFC 6455 section 7.4.1: "1007 indicates that an endpoint is terminating the '
        "connection because it has received data within a message that was not "
        "consistent with the type of the message (e.g., non-UTF-8 [RFC3629] data within "
        'a text message)."',
        _invalid_utf8_code,
    ),
    StrictRule(
        "close-frame-before-drop",
        'RFC 6455 section 7.1.7: "the endpoint SHOULD send a Close frame with an '
        "appropriate status code (Section 7.4) before proceeding to _Close the WebSocket "
        'Connection_."',
        _close_frame_before_drop,
    ),
)


def strict_findings(case: Case, obs: Observation) -> list[tuple[StrictRule, str]]:
    """Every rule of :data:`RULES` the peer misses in this record, with what it did."""
    if not obs.opened:
        return []
    found = []
    for rule in RULES:
        text = rule.check(case, obs)
        if text is not None:
            found.append((rule, text))
    return found


def apply_strict(case: Case, obs: Observation, verdicts: Verdicts) -> Verdicts:
    """The strict profile's verdicts: ``verdicts`` unless it is OK and a rule is missed,
    then ``behavior`` NON-STRICT with the first missed rule's sentence.

    The opening-handshake families (``hs``, ``hc``) keep their own verdicts
    (docs/handshake.md): these rules are about the connection after the handshake.
    """
    if verdicts.outcome is not OK or isinstance(case, ServerHandshakeCase | ClientHandshakeCase):
        return verdicts
    found = strict_findings(case, obs)
    if not found:
        return verdicts
    rule, text = found[0]
    result = f"Strict profile ({rule.name}): {text[0].upper()}{text[1:]}. {rule.rfc}"
    return dataclasses.replace(verdicts, behavior=Verdict.NON_STRICT, result=result)
