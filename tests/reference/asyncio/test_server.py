"""Server helpers that need no socket: handler forms, plain responses."""

from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any

import pytest

from wsconform.reference.asyncio.compression import server_extensions
from wsconform.reference.asyncio.server import ServerConnection, _takes_path, serve
from wsconform.reference.protocol.server import ServerProtocol


async def modern(ws: Any) -> None:
    pass


async def legacy(ws: Any, path: str) -> None:
    pass


async def with_extra(ws: Any, extra: int) -> None:
    pass


async def with_default(ws: Any, path: str = "/") -> None:
    pass


class Handler:
    async def method(self, ws: Any) -> None:
        pass

    async def legacy_method(self, ws: Any, path: str) -> None:
        pass

    async def __call__(self, ws: Any) -> None:
        pass


def test_modern_handlers_take_one_argument() -> None:
    assert not _takes_path(modern)
    assert not _takes_path(functools.partial(with_extra, extra=1))
    assert not _takes_path(functools.partial(legacy, path="/x"))
    assert not _takes_path(with_default)
    assert not _takes_path(Handler().method)
    assert not _takes_path(Handler())
    assert not _takes_path(lambda ws: None)


def test_legacy_handlers_take_two_arguments() -> None:
    assert _takes_path(legacy)
    assert _takes_path(Handler().legacy_method)
    assert _takes_path(with_extra)  # two positional parameters: the legacy form


def test_uninspectable_handler_is_modern() -> None:
    assert not _takes_path(print)


def test_respond_builds_a_complete_plain_response() -> None:
    connection = SimpleNamespace(protocol=ServerProtocol())
    response = ServerConnection.respond(connection, 401, "Missing token\n")  # type: ignore[arg-type]
    assert response.status_code == 401
    assert response.reason_phrase == "Unauthorized"
    assert response.body == b"Missing token\n"
    assert response.headers["Content-Length"] == str(len(b"Missing token\n"))
    assert response.headers["Content-Type"].startswith("text/plain")


def test_compression_option() -> None:
    assert [f.name for f in server_extensions("deflate", None)] == ["permessage-deflate"]
    assert server_extensions(None, None) == []
    with pytest.raises(ValueError):
        serve(modern, "127.0.0.1", 0, compression="gzip")
