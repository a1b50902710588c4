"""Choosing a target's kind from the options; every bad one is a one-line error."""

from __future__ import annotations

import argparse

import pytest

from wsconform.harness.targets import (
    base,
    clients,
    command,
    docker,
    exceptions,
    options,
    supervisor,
    url,
)
from wsconform.harness.targets.command import CommandTarget, describe_status
from wsconform.harness.targets.docker import DockerTarget
from wsconform.harness.targets.exceptions import TargetError, TargetStartError
from wsconform.harness.targets.options import add_target_arguments, build_target, parse_env
from wsconform.harness.targets.url import UrlTarget


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    add_target_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "module", [base, clients, command, docker, exceptions, options, supervisor, url], ids=str
)
def test_every_module_exports_what_it_lists(module: object) -> None:
    for name in module.__all__:  # type: ignore[attr-defined]
        assert hasattr(module, name)


def test_a_url_alone_is_a_url_target() -> None:
    target = build_target(parse("ws://127.0.0.1:9001/"))
    assert isinstance(target, UrlTarget)
    assert not target.restartable
    assert target.url == "ws://127.0.0.1:9001/"


def test_target_cmd_gets_a_free_port_in_the_command_and_the_url() -> None:
    target = build_target(parse("--target-cmd", "server --port {port}"))
    assert isinstance(target, CommandTarget)
    assert target.port is not None
    assert target.argv == ["server", "--port", str(target.port)]
    assert target.url == f"ws://127.0.0.1:{target.port}/"


def test_target_cmd_with_a_url_of_its_own() -> None:
    target = build_target(parse("ws://127.0.0.1:{port}/echo", "--target-cmd", "s {port}"))
    assert target.url == f"ws://127.0.0.1:{target.port}/echo"  # type: ignore[attr-defined]


def test_docker_image_publishes_on_localhost() -> None:
    target = build_target(parse("--docker-image", "img", "--run-id", "abc"))
    assert isinstance(target, DockerTarget)
    assert target.container_name == "wsconform-abc"
    assert target.url.startswith("ws://127.0.0.1:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give a URL, --target-cmd or --docker-image"),
        (("--target-cmd", ""), "--target-cmd is empty"),
        (("--target-cmd", "a 'b"), '--target-cmd "a \'b": No closing quotation'),
        (("ws://h/", "--docker-image", "i"), "--docker-image gives the URL itself"),
        (("--docker-image", "i", "--docker-port", "0"), "--docker-port must be a TCP port"),
        (("--target-cmd", "s", "--env", "X"), "--env 'X': expected NAME=VALUE"),
    ],
)
def test_bad_target_options(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(TargetError) as info:
        build_target(parse(*argv))
    assert str(info.value).startswith(message)


def test_parse_env() -> None:
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (0, "exit status 0"),
        (3, "exit status 3"),
        (-9, "killed by SIGKILL"),
        (None, "still running"),
    ],
)
def test_describe_status(code: int | None, text: str) -> None:
    assert describe_status(code) == text


def test_start_error_is_one_line() -> None:
    error = TargetStartError("the command 'x'", "exited (exit status 1)", "bad flag")
    assert str(error) == "the command 'x' exited (exit status 1): bad flag"
    assert str(TargetStartError("it", "never answered")) == "it never answered"


def test_log_buffer_keeps_the_latest_output() -> None:
    logs = base.LogBuffer(limit=10)
    for chunk in ("first\n", "second\n", "third\n"):
        logs.add(chunk)
    assert logs.text().endswith("third\n")
    assert len(logs.text()) <= 10
    assert logs.last_line() == "third"
