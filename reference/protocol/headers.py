"""HTTP header fields: a case-insensitive multi-dict and the value grammars of RFC 6455.

:class:`Headers` keeps every field in arrival order with its original spelling (the
harness reports heads as they were sent) and looks names up case-insensitively (RFC 7230
section 3.2: "Each header field consists of a case-insensitive field name").

The parsers below implement the ABNF of RFC 7230 (tokens, quoted strings, the ``#rule``
for lists) and of RFC 6455 section 9.1 / 11.3 (``Sec-WebSocket-Extensions``,
``Sec-WebSocket-Protocol``). They raise :class:`InvalidHeaderFormat` with the position of
the first offending character, never ``ValueError``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import TypeAlias, TypeVar

from .exceptions import InvalidHeaderFormat, MultipleValuesError

__all__ = [
    "ExtensionHeader",
    "ExtensionParameter",
    "Headers",
    "HeadersLike",
    "build_extension_list",
    "build_host",
    "build_subprotocol_list",
    "parse_connection",
    "parse_extension_list",
    "parse_subprotocol_list",
    "parse_token_list",
    "parse_upgrade",
    "validate_name",
    "validate_token",
    "validate_value",
]

#: One ``name[=value]`` parameter of an extension; ``None`` when it has no value.
ExtensionParameter: TypeAlias = tuple[str, str | None]
#: One element of ``Sec-WebSocket-Extensions``: the extension token and its parameters.
ExtensionHeader: TypeAlias = tuple[str, list[ExtensionParameter]]
#: What :class:`Headers` can be built from.
HeadersLike: TypeAlias = "Headers | Mapping[str, str] | Iterable[tuple[str, str]]"

# RFC 7230 section 3.2.6: token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" /
# "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TOKEN_RE = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
# RFC 7230 section 3.2: field-value = *( field-content / obs-fold ), made of VCHAR,
# obs-text (%x80-FF), SP and HTAB. obs-fold is refused by the parser (section 3.2.4).
_VALUE_RE = re.compile(r"[\x09\x20-\x7e\x80-\xff]*")
# RFC 7230 section 3.2.6: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text;
# quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
_QUOTED_STRING_RE = re.compile(
    r'"(?:[\x09\x20\x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\x09\x20-\x7e\x80-\xff])*"'
)
_UNQUOTE_RE = re.compile(r"\\([\x09\x20-\x7e\x80-\xff])")
# RFC 7230 section 3.2.3: OWS = *( SP / HTAB )
_OWS_RE = re.compile(r"[\t ]*")
# RFC 7230 section 6.7: protocol = protocol-name ["/" protocol-version]
_PROTOCOL_RE = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+(?:/[-!#$%&'*+.^_`|~0-9a-zA-Z]+)?")


def validate_name(name: str) -> str:
    """Return ``name`` if it is an RFC 7230 token, the grammar of a field name.

    Raises:
        ValueError: ``name`` is not a token (this would allow header injection).
    """
    if not _TOKEN_RE.fullmatch(name):
        raise ValueError(f"invalid header name: {name!r}")
    return name


def validate_value(value: str) -> str:
    """Return ``value`` if it is a valid field value without surrounding whitespace.

    Raises:
        ValueError: ``value`` contains CR, LF, NUL or another control character, or
            characters outside Latin-1 (this would allow header injection).
    """
    if not _VALUE_RE.fullmatch(value) or value != value.strip(" \t"):
        raise ValueError(f"invalid header value: {value!r}")
    return value


class Headers(MutableMapping[str, str]):
    """A case-insensitive multi-dict of header fields that remembers their spelling.

    ``headers[name]`` returns the only value of a field and raises
    :class:`MultipleValuesError` if it appears several times (a request with two
    ``Sec-WebSocket-Key`` fields is malformed, and silently taking one would hide it);
    use :meth:`get_all` for fields that may repeat (``get`` raises the same way, as
    the mapping protocol only catches ``KeyError``). Assigning ``headers[name] = value``
    replaces every value of that field; :meth:`add` appends one. Iteration yields each
    distinct name once, spelled as it first appeared.

    Raises:
        ValueError: (on :meth:`add` and assignment) the name is not a token or the value
            contains characters that are not allowed in a field value.
    """

    __slots__ = ("_by_name", "_items")

    def __init__(self, *args: HeadersLike, **kwargs: str) -> None:
        self._items: list[tuple[str, str]] = []
        self._by_name: dict[str, list[str]] = {}
        for arg in args:
            self.extend(arg)
        for name, value in kwargs.items():
            self.add(name, value)

    # --- MutableMapping --------------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        values = self._by_name[name.lower()]
        if len(values) > 1:
            raise MultipleValuesError(name, len(values))
        return values[0]

    def __setitem__(self, name: str, value: str) -> None:
        validate_name(name)
        validate_value(value)
        if name in self:
            del self[name]
        self.add(name, value)

    def __delitem__(self, name: str) -> None:
        key = name.lower()
        del self._by_name[key]
        self._items = [item for item in self._items if item[0].lower() != key]

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for name, _ in self._items:
            if (key := name.lower()) not in seen:
                seen.add(key)
                yield name

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._by_name == other._by_name

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    def __str__(self) -> str:
        return "".join(f"{name}: {value}\r\n" for name, value in self._items) + "\r\n"

    # --- multi-dict ------------------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append one field, keeping any earlier field of the same name.

        Raises:
            ValueError: invalid name or value (see :func:`validate_name`).
        """
        validate_name(name)
        validate_value(value)
        self._items.append((name, value))
        self._by_name.setdefault(name.lower(), []).append(value)

    def extend(self, other: HeadersLike) -> None:
        """Append every field of ``other`` (a :class:`Headers`, mapping or pairs).

        Raises:
            ValueError: invalid name or value.
        """
        if isinstance(other, Headers):
            pairs: Iterable[tuple[str, str]] = other.raw_items()
        elif isinstance(other, Mapping):
            pairs = other.items()
        else:
            pairs = other
        for name, value in pairs:
            self.add(name, value)

    def get_all(self, name: str) -> list[str]:
        """Every value of the field ``name``, in arrival order (empty if absent)."""
        return list(self._by_name.get(name.lower(), ()))

    def get_joined(self, name: str) -> str | None:
        """The values of a list-valued field combined with ``", "``, or ``None``.

        RFC 7230 section 3.2.2: "A recipient MAY combine multiple header fields with the
        same field name into one "field-name: field-value" pair ... by appending each
        subsequent field value to the combined field value in order, separated by a
        comma."
        """
        values = self._by_name.get(name.lower())
        return None if values is None else ", ".join(values)

    def raw_items(self) -> list[tuple[str, str]]:
        """Every field as ``(name, value)`` with the original spelling, in order."""
        return list(self._items)

    def copy(self) -> Headers:
        """A shallow copy (the strings are immutable, so it is independent)."""
        copy = type(self)()
        copy._items = list(self._items)
        copy._by_name = {key: list(values) for key, values in self._by_name.items()}
        return copy

    def clear(self) -> None:
        self._items.clear()
        self._by_name.clear()

    def serialize(self) -> bytes:
        """The fields followed by the empty line that ends an HTTP head.

        Values are encoded as Latin-1: RFC 7230 section 3.2.4 allows obs-text but
        "a recipient SHOULD treat other octets in field content (obs-text) as opaque data".
        """
        return str(self).encode("latin-1")


# --- grammar helpers --------------------------------------------------------------------

_T = TypeVar("_T")


def _skip_ows(header: str, pos: int) -> int:
    match = _OWS_RE.match(header, pos)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _parse_token(header: str, pos: int, name: str) -> tuple[str, int]:
    match = _TOKEN_RE.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(name, "expected token", header, pos)
    return match.group(), match.end()


def _parse_quoted_string(header: str, pos: int, name: str) -> tuple[str, int]:
    match = _QUOTED_STRING_RE.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(name, "expected quoted string", header, pos)
    return _UNQUOTE_RE.sub(r"\1", match.group()[1:-1]), match.end()


def _parse_list(
    parse_item: Callable[[str, int, str], tuple[_T, int]], header: str, name: str
) -> list[_T]:
    """Parse a ``1#item`` list (RFC 7230 section 7).

    "a recipient MUST accept empty list elements": ``#element => [ ( "," / element )
    *( OWS "," [ OWS element ] ) ]``, so ``", a,, b ,"`` is the list ``[a, b]``. At
    least one element is required.

    Raises:
        InvalidHeaderFormat: the value does not follow the grammar or is empty.
    """
    items: list[_T] = []
    pos = _skip_ows(header, 0)
    while pos < len(header):
        if header[pos] == ",":
            pos = _skip_ows(header, pos + 1)
            continue
        item, pos = parse_item(header, pos, name)
        items.append(item)
        pos = _skip_ows(header, pos)
        if pos < len(header):
            if header[pos] != ",":
                raise InvalidHeaderFormat(name, "expected comma", header, pos)
            pos = _skip_ows(header, pos + 1)
    if not items:
        raise InvalidHeaderFormat(name, "expected at least one element", header, pos)
    return items


def parse_token_list(header: str, name: str = "header") -> list[str]:
    """Parse a ``1#token`` list such as ``Connection: keep-alive, Upgrade``.

    Raises:
        InvalidHeaderFormat: not a list of tokens.
    """
    return _parse_list(_parse_token, header, name)


def parse_connection(header: str) -> list[str]:
    """Parse ``Connection = 1#connection-option`` (RFC 7230 section 6.1).

    Raises:
        InvalidHeaderFormat: not a list of tokens.
    """
    return parse_token_list(header, "Connection")


def _parse_protocol(header: str, pos: int, name: str) -> tuple[str, int]:
    match = _PROTOCOL_RE.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(name, "expected protocol", header, pos)
    return match.group(), match.end()


def parse_upgrade(header: str) -> list[str]:
    """Parse ``Upgrade = 1#protocol`` (RFC 7230 section 6.7), e.g. ``websocket, h2c/1``.

    Raises:
        InvalidHeaderFormat: not a list of ``name[/version]`` protocols.
    """
    return _parse_list(_parse_protocol, header, "Upgrade")


def _parse_extension_param(header: str, pos: int, name: str) -> tuple[ExtensionParameter, int]:
    param, pos = _parse_token(header, pos, name)
    after = _skip_ows(header, pos)
    if after >= len(header) or header[after] != "=":
        return (param, None), pos
    pos = _skip_ows(header, after + 1)
    if pos < len(header) and header[pos] == '"':
        value, end = _parse_quoted_string(header, pos, name)
        # RFC 6455 section 9.1: "When using the quoted-string syntax variant, the value
        # after quoted-string unescaping MUST conform to the 'token' ABNF."
        if not _TOKEN_RE.fullmatch(value):
            raise InvalidHeaderFormat(name, "invalid quoted value", header, pos)
        return (param, value), end
    value, pos = _parse_token(header, pos, name)
    return (param, value), pos


def _parse_extension(header: str, pos: int, name: str) -> tuple[ExtensionHeader, int]:
    # extension = extension-token *( ";" extension-param ), with the implied linear
    # whitespace of RFC 2616 around ";" and "=" that deployed peers send.
    token, pos = _parse_token(header, pos, name)
    params: list[ExtensionParameter] = []
    while True:
        after = _skip_ows(header, pos)
        if after >= len(header) or header[after] != ";":
            return (token, params), pos
        pos = _skip_ows(header, after + 1)
        param, pos = _parse_extension_param(header, pos, name)
        params.append(param)


def parse_extension_list(header: str) -> list[ExtensionHeader]:
    """Parse ``Sec-WebSocket-Extensions`` (RFC 6455 section 9.1).

    ``"permessage-deflate; client_max_window_bits, x-foo; a=\\"1\\""`` gives
    ``[("permessage-deflate", [("client_max_window_bits", None)]), ("x-foo", [("a", "1")])]``.
    Parameter values are returned unquoted; duplicate and unknown parameters are the
    concern of each extension's factory.

    Raises:
        InvalidHeaderFormat: the value does not follow the grammar.
    """
    return _parse_list(_parse_extension, header, "Sec-WebSocket-Extensions")


def build_extension_list(extensions: Sequence[ExtensionHeader]) -> str:
    """Serialize ``Sec-WebSocket-Extensions``; the inverse of :func:`parse_extension_list`.

    Raises:
        ValueError: a name or value is not a token.
    """
    elements = []
    for token, params in extensions:
        parts = [validate_token(token)]
        for param, value in params:
            validate_token(param)
            parts.append(param if value is None else f"{param}={validate_token(value)}")
        elements.append("; ".join(parts))
    return ", ".join(elements)


def parse_subprotocol_list(header: str) -> list[str]:
    """Parse ``Sec-WebSocket-Protocol = 1#token`` (RFC 6455 section 11.3.4).

    Raises:
        InvalidHeaderFormat: not a list of tokens.
    """
    return parse_token_list(header, "Sec-WebSocket-Protocol")


def build_subprotocol_list(subprotocols: Sequence[str]) -> str:
    """Serialize ``Sec-WebSocket-Protocol``.

    Raises:
        ValueError: a subprotocol is not a token or the list is empty.
    """
    if not subprotocols:
        raise ValueError("expected at least one subprotocol")
    return ", ".join(validate_token(subprotocol) for subprotocol in subprotocols)


def validate_token(value: str) -> str:
    """Return ``value`` if it is an RFC 7230 token.

    Raises:
        ValueError: it is not.
    """
    if not _TOKEN_RE.fullmatch(value):
        raise ValueError(f"not a token: {value!r}")
    return value


def build_host(host: str, port: int, *, secure: bool) -> str:
    """The ``Host`` value for a WebSocket URI: the port only when it is not the default.

    RFC 6455 section 4.1: "The request MUST contain a |Host| header field whose value
    contains /host/ plus optionally ":" followed by /port/ (when not using the default
    port)." IPv6 literals are bracketed (RFC 3986 section 3.2.2).
    """
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port != (443 if secure else 80):
        host = f"{host}:{port}"
    return host
