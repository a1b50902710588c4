"""Client targets before they start: commands parsed, names given, bad ones refused."""

from __future__ import annotations

import pytest

from wsconform.harness.targets.clients import CommandClient, DockerClient
from wsconform.harness.targets.exceptions import TargetError


def test_a_command_is_split_like_a_shell_line() -> None:
    client = CommandClient("driver --url '{url}' --name 'my client'")
    assert client.name == "the client command \"driver --url '{url}' --name 'my client'\""
    assert client.pid is None
    assert not client.alive()
    assert client.exit_reason() == "still running"  # never started: no status yet
    client.stop()  # stopping a client that never started does nothing


@pytest.mark.parametrize(
    ("command", "message"),
    [("", "--client-cmd is empty"), ("'open", '--client-cmd "\'open": No closing quotation')],
)
def test_bad_commands(command: str, message: str) -> None:
    with pytest.raises(TargetError) as raised:
        CommandClient(command)
    assert str(raised.value) == message


def test_a_container_is_named_by_its_run_id() -> None:
    client = DockerClient("my-client:ci", command="driver {url}", run_id="ci-7")
    assert client.container_name == "wsconform-ci-7"
    assert client.name == "the client container of 'my-client:ci'"
    assert client.container_id is None
    assert not client.alive()
    client.stop()  # nothing was created: nothing to remove, no engine asked
    with pytest.raises(TargetError, match="--client-command '\"x': No closing quotation"):
        DockerClient("my-client:ci", command='"x')
