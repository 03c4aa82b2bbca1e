"""RFC 8941 structured field values: the parts HTTP message signatures (RFC 9421) need.

`Signature-Input` and `Signature` are dictionaries whose members are inner lists or
items with parameters. We parse strictly (a sloppy parser is an attack surface) and
serialize canonically, because the signature base is rebuilt from the parsed value.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field


class Token(str):
    """An sf-token (unquoted), kept apart from an sf-string."""

    __slots__ = ()


BareItem = int | float | str | Token | bytes | bool
Parameters = list[tuple[str, BareItem]]


@dataclass
class Item:
    value: BareItem
    params: Parameters = field(default_factory=list)


@dataclass
class InnerList:
    items: list[Item]
    params: Parameters = field(default_factory=list)


Member = Item | InnerList


class StructuredFieldError(ValueError):
    """The field value is not a valid structured field."""


_KEY_FIRST = re.compile(r"[a-z*]")
_KEY_CHAR = re.compile(r"[a-z0-9_\-.*]")
_TOKEN_CHAR = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z:/]")
_B64_CHAR = re.compile(r"[A-Za-z0-9+/=]")


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def skip(self, chars: str) -> None:
        while self.i < len(self.s) and self.s[self.i] in chars:
            self.i += 1

    def fail(self, what: str) -> StructuredFieldError:
        return StructuredFieldError(f"{what} at character {self.i}")

    def dictionary(self) -> dict[str, Member]:
        out: dict[str, Member] = {}
        self.skip(" ")
        while self.i < len(self.s):
            key = self.key()
            if self.peek() == "=":
                self.i += 1
                member: Member = self.item_or_inner_list()
            else:
                member = Item(True, self.parameters())
            out[key] = member  # RFC 8941: a later duplicate overrides
            self.skip(" \t")
            if self.i >= len(self.s):
                return out
            if self.peek() != ",":
                raise self.fail("expected ',' between dictionary members")
            self.i += 1
            self.skip(" \t")
            if self.i >= len(self.s):
                raise self.fail("trailing comma")
        return out

    def item_or_inner_list(self) -> Member:
        if self.peek() == "(":
            return self.inner_list()
        return Item(self.bare_item(), self.parameters())

    def inner_list(self) -> InnerList:
        self.i += 1  # "("
        items: list[Item] = []
        while self.i < len(self.s):
            self.skip(" ")
            if self.peek() == ")":
                self.i += 1
                return InnerList(items, self.parameters())
            items.append(Item(self.bare_item(), self.parameters()))
            if self.peek() not in (" ", ")"):
                raise self.fail("expected space or ')' in inner list")
        raise self.fail("unterminated inner list")

    def parameters(self) -> Parameters:
        params: Parameters = []
        while self.peek() == ";":
            self.i += 1
            self.skip(" ")
            key = self.key()
            value: BareItem = True
            if self.peek() == "=":
                self.i += 1
                value = self.bare_item()
            params = [(k, v) for k, v in params if k != key] + [(key, value)]
        return params

    def key(self) -> str:
        if not _KEY_FIRST.fullmatch(self.peek()):
            raise self.fail("expected a key")
        start = self.i
        while self.i < len(self.s) and _KEY_CHAR.fullmatch(self.s[self.i]):
            self.i += 1
        return self.s[start : self.i]

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == "-" or c.isdigit():
            return self.number()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            return self.boolean()
        if c == "*" or c.isalpha():
            return self.token()
        raise self.fail("expected an item")

    def number(self) -> int | float:
        m = re.compile(r"-?\d{1,15}(\.\d{1,3})?").match(self.s, self.i)
        if m is None:
            raise self.fail("bad number")
        self.i = m.end()
        if m.group(1):
            if len(m.group(0).lstrip("-").split(".")[0]) > 12:
                raise self.fail("decimal too long")
            return float(m.group(0))
        return int(m.group(0))

    def string(self) -> str:
        self.i += 1
        out: list[str] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            self.i += 1
            if c == "\\":
                nxt = self.peek()
                if nxt not in ('"', "\\"):
                    raise self.fail("bad escape in string")
                out.append(nxt)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif not (" " <= c <= "~"):
                raise self.fail("non-printable character in string")
            else:
                out.append(c)
        raise self.fail("unterminated string")

    def token(self) -> Token:
        start = self.i
        self.i += 1
        while self.i < len(self.s) and _TOKEN_CHAR.fullmatch(self.s[self.i]):
            self.i += 1
        return Token(self.s[start : self.i])

    def byte_sequence(self) -> bytes:
        end = self.s.find(":", self.i + 1)
        if end < 0:
            raise self.fail("unterminated byte sequence")
        body = self.s[self.i + 1 : end]
        if not all(_B64_CHAR.fullmatch(c) for c in body):
            raise self.fail("bad character in byte sequence")
        self.i = end + 1
        try:
            return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        except binascii.Error as exc:
            raise self.fail("bad base64 in byte sequence") from exc

    def boolean(self) -> bool:
        value = self.s[self.i + 1 : self.i + 2]
        if value not in ("0", "1"):
            raise self.fail("bad boolean")
        self.i += 2
        return value == "1"


def parse_dictionary(text: str) -> dict[str, Member]:
    """A dictionary field value (RFC 8941 §4.2.2); StructuredFieldError if malformed."""
    parser = _Parser(text.strip(" \t"))
    return parser.dictionary()


def serialize_bare_item(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def serialize_parameters(params: Parameters) -> str:
    return "".join(
        f";{key}" if value is True else f";{key}={serialize_bare_item(value)}"
        for key, value in params
    )


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_parameters(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return ("(" + " ".join(serialize_item(i) for i in inner.items) + ")") + serialize_parameters(
        inner.params
    )


def serialize_dictionary(members: dict[str, Member]) -> str:
    parts = []
    for key, member in members.items():
        if isinstance(member, InnerList):
            parts.append(f"{key}={serialize_inner_list(member)}")
        elif member.value is True:
            parts.append(key + serialize_parameters(member.params))
        else:
            parts.append(f"{key}={serialize_item(member)}")
    return ", ".join(parts)
