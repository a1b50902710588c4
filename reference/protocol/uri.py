"""WebSocket URIs (RFC 6455 section 3): ``ws://host[:port]/path?query`` and ``wss://``."""

from __future__ import annotations

import dataclasses
import urllib.parse

from .exceptions import InvalidURI

__all__ = ["WebSocketURI", "parse_uri"]

# RFC 3986 section 3.3 / 3.4: characters that may stay as they are in a path or query;
# anything else (spaces, non-ASCII) is percent-encoded. "%" is kept so that an already
# encoded URI is not encoded twice.
_PATH_SAFE = "%-._~!$&'()*+,;=:@/"
_QUERY_SAFE = _PATH_SAFE + "?"


@dataclasses.dataclass(frozen=True, slots=True)
class WebSocketURI:
    """The parts of a WebSocket URI that the opening handshake uses.

    ``host`` is ASCII (IDNA-encoded when needed) and IPv6 literals are kept without
    brackets; ``path`` and ``query`` are percent-encoded.
    """

    secure: bool
    host: str
    port: int
    path: str = "/"
    query: str = ""
    username: str | None = None
    password: str | None = None

    @property
    def resource_name(self) -> str:
        """RFC 6455 section 3: "/path?query", "/" when the path is empty."""
        path = self.path or "/"
        return f"{path}?{self.query}" if self.query else path

    @property
    def user_info(self) -> tuple[str, str] | None:
        """``(username, password)`` from the URI, or ``None`` when there is none."""
        if self.username is None:
            return None
        return self.username, self.password or ""

    def __str__(self) -> str:
        scheme = "wss" if self.secure else "ws"
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.secure else 80
        netloc = host if self.port == default else f"{host}:{self.port}"
        return f"{scheme}://{netloc}{self.resource_name}"


def parse_uri(uri: str) -> WebSocketURI:
    """Parse and normalize a ``ws://`` or ``wss://`` URI.

    RFC 6455 section 3: "ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]"
    and "The port component is OPTIONAL; the default for "ws" is port 80, while the
    default for "wss" is port 443."

    Raises:
        InvalidURI: another scheme, no host, a bad port, or a fragment.
    """
    try:
        parsed = urllib.parse.urlsplit(uri)
        port = parsed.port
    except ValueError as exc:
        raise InvalidURI(uri, str(exc)) from exc
    scheme = parsed.scheme.lower()
    if scheme not in ("ws", "wss"):
        raise InvalidURI(uri, "scheme isn't ws or wss")
    if not parsed.hostname:
        raise InvalidURI(uri, "hostname is missing")
    # "Fragment identifiers are meaningless in the context of WebSocket URIs and MUST
    # NOT be used on these URIs. ... the character "#" ... MUST be escaped as %23"
    if parsed.fragment or uri.endswith("#"):
        raise InvalidURI(uri, "URI can't contain a fragment")
    secure = scheme == "wss"
    host = parsed.hostname
    try:
        host.encode("ascii")
    except UnicodeEncodeError:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidURI(uri, f"hostname isn't valid IDNA: {exc}") from exc
    path = urllib.parse.quote(parsed.path, safe=_PATH_SAFE) or "/"
    query = urllib.parse.quote(parsed.query, safe=_QUERY_SAFE)
    username = password = None
    if parsed.username is not None:
        username = urllib.parse.unquote(parsed.username)
        password = None if parsed.password is None else urllib.parse.unquote(parsed.password)
    return WebSocketURI(
        secure=secure,
        host=host,
        port=port if port is not None else (443 if secure else 80),
        path=path,
        query=query,
        username=username,
        password=password,
    )
