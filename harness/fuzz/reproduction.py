"""A finding in words: the frames in hex, what the oracle expected, what came back, and
the commands that replay it (docs/fuzzing.md shows one)."""

from __future__ import annotations

import pathlib
import shlex

from wsconform.harness.record.describe import (
    describe_ending,
    describe_events,
    describe_expected_close,
)

from .corpus import ENV_VAR, PACKAGE_CORPUS
from .runner import Finding

__all__ = ["describe_expected", "replay_commands", "reproduction"]


def describe_expected(finding: Finding) -> str:
    """What the oracle says a conforming peer does, in one sentence."""
    prediction = finding.prediction
    events = describe_events(prediction.events) if prediction.events else "nothing"
    also = ""
    if prediction.tolerated is not None:
        tolerated = describe_events(prediction.tolerated) if prediction.tolerated else "nothing"
        also = f" (or, tolerated: {tolerated})"
    if prediction.fails:
        ending = (
            f"then fails the connection at frame {prediction.failing_frame} ({prediction.reason})"
        )
    else:
        ending = "then " + describe_expected_close(finding.case.expected_close)
    return f"sends {events}{also}, {ending}"


def replay_commands(
    finding: Finding,
    *,
    url: str,
    saved: pathlib.Path | None,
    max_examples: int,
    serve: int | None = None,
) -> list[str]:
    """The commands that replay the finding: its case (once saved) and the search.

    A client's finding (``serve``: the port its fuzz run listened on) replays with
    ``wsconform test-client`` and ``wsconform fuzz --serve``.
    """
    commands = []
    quoted = shlex.quote(url)
    if saved is not None:
        env = ""
        directory = saved.parent.resolve()
        if directory != PACKAGE_CORPUS.resolve():
            env = f"{ENV_VAR}={shlex.quote(str(saved.parent))} "
        if serve is None:
            commands.append(f"{env}wsconform test-server {quoted} --cases {finding.case_id}")
        else:
            commands.append(f"{env}wsconform test-client --cases {finding.case_id}")
    search = quoted if serve is None else f"--serve {serve}"
    commands.append(f"wsconform fuzz {search} --seed {finding.seed} --max-examples {max_examples}")
    return commands


def reproduction(
    finding: Finding,
    *,
    url: str,
    saved: pathlib.Path | None = None,
    max_examples: int = 200,
    serve: int | None = None,
) -> list[str]:
    """The lines printed for a finding (see the module docstring)."""
    result = finding.result
    obs = result.observation
    frames = len(finding.conversation.sends)
    lines = [
        f"mismatch {finding.case_id} ({result.outcome.label}): "
        f"{frames} frame{'s' if frames != 1 else ''} after shrinking",
        "sent (masking keys shown as 00000000; every real send draws a fresh key):",
        *(f"  {line}" for line in finding.conversation.describe()),
        f"expected: a conforming peer {describe_expected(finding)}.",
        f"  {finding.prediction.rule}",
        f"got: {describe_events(obs.received) if obs.received else 'nothing'}, "
        f"{describe_ending(obs)}.",
        f"  {result.verdicts.reason}",
        f"seed: {finding.seed}",
    ]
    for index, command in enumerate(
        replay_commands(finding, url=url, saved=saved, max_examples=max_examples, serve=serve)
    ):
        lines.append(("replay: " if index == 0 else "        ") + command)
    if saved is not None:
        lines.append(f"saved: {saved}")
    return lines
