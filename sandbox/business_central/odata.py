"""OData v4 query options as Business Central supports them: $filter, $orderby, $select, $top, $skip.

$filter: eq ne gt ge lt le, and/or/not, parentheses, contains/startswith/endswith(field,'x'), literals
'string' (with '' escapes), numbers, true/false/null, dates (2026-01-01), date-times
(2026-01-01T00:00:00Z) and bare GUIDs.
"""

from __future__ import annotations

import re
from typing import Any

from ..platform.timeutil import parse_iso
from ..platform.tokenizer import DATE, IDENT, NUMBER, QUOTED_DOUBLED, Tokenizer, TokenStream


class ODataError(Exception):
    pass


def _syntax_error(text: str, pos: int) -> ODataError:
    return ODataError(f"Syntax error at position {pos} in '{text}'.")


_TOKENIZER = Tokenizer(
    [
        ("str", QUOTED_DOUBLED),
        ("guid", r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        ("dt", DATE + r"T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})"),
        ("date", DATE),
        ("num", "-?" + NUMBER),
        ("punct", r"[(),/]"),
        ("ident", IDENT),
    ],
    _syntax_error,
)

_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_FUNCS = {"contains", "startswith", "endswith"}


class _Parser(TokenStream):
    case_sensitive = True  # and/or/not/eq/... are lower case in OData; function names are not

    def __init__(self, text: str, fields: set[str]) -> None:
        super().__init__(_TOKENIZER.tokenize(text.strip()))
        self.fields = fields

    def unexpected_end(self) -> ODataError:
        return ODataError("Syntax error: unexpected end of $filter.")

    def expect(self, text: str) -> None:
        if self.take().text != text:
            raise ODataError(f"Syntax error: expected '{text}'.")

    def parse(self) -> Any:
        node = self.or_()
        if self.peek() is not None:
            raise ODataError(f"Syntax error at '{self.peek().text}'.")
        return node

    def or_(self) -> Any:
        parts = [self.and_()]
        while self.word("or"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_(self) -> Any:
        parts = [self.unary()]
        while self.word("and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unary(self) -> Any:
        if self.word("not"):
            self.i += 1
            return ("not", self.unary())
        tok = self.peek()
        if tok and tok.text == "(":
            self.i += 1
            inner = self.or_()
            self.expect(")")
            return inner
        if tok and tok.kind == "ident" and tok.text.lower() in _FUNCS:
            name = self.take().text.lower()
            self.expect("(")
            field = self.field()
            self.expect(",")
            value = self.literal()
            self.expect(")")
            node: Any = ("fn", name, field, value)
            if self.peek() and self.peek().text in ("eq", "ne"):
                op = self.take().text
                flag = self.literal()
                if flag is True and op == "eq" or flag is False and op == "ne":
                    return node
                return ("not", node)
            return node
        field = self.field()
        op = self.take().text
        if op not in _COMPARE:
            raise ODataError(f"Syntax error: unknown operator '{op}'.")
        return ("cmp", op, field, self.literal())

    def field(self) -> str:
        kind, text = self.take()
        if kind != "ident":
            raise ODataError(f"Syntax error: expected a property name, found '{text}'.")
        if text not in self.fields:
            raise ODataError(f"Could not find a property named '{text}' on type 'Microsoft.NAV.entity'.")
        return text

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "guid":
            return text.lower()
        if kind in ("dt", "date"):
            return ("when", text)
        if kind == "num":
            return float(text)
        if kind == "ident" and text in ("true", "false"):
            return text == "true"
        if kind == "ident" and text == "null":
            return None
        raise ODataError(f"Syntax error: unexpected '{text}'.")


def parse_filter(text: str, fields: set[str]) -> Any:
    return _Parser(text, fields).parse()


_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def matches(node: Any, entity: dict[str, Any]) -> bool:
    kind = node[0]
    if kind == "and":
        return all(matches(n, entity) for n in node[1])
    if kind == "or":
        return any(matches(n, entity) for n in node[1])
    if kind == "not":
        return not matches(node[1], entity)
    if kind == "fn":
        _, name, field, needle = node
        value = entity.get(field)
        if not isinstance(value, str) or not isinstance(needle, str):
            return False
        hay, needle = value.lower(), needle.lower()
        return {
            "contains": needle in hay,
            "startswith": hay.startswith(needle),
            "endswith": hay.endswith(needle),
        }[name]
    _, op, field, lit = node
    value = entity.get(field)
    if lit is None or value is None:
        return (
            (value is None and lit is None)
            if op == "eq"
            else (value is None) != (lit is None)
            if op == "ne"
            else False
        )
    if isinstance(lit, tuple):  # date / date-time literal
        left, right = parse_iso(str(value)), parse_iso(lit[1])
        if left is None or right is None:
            return False
        if len(lit[1]) == 10 and len(str(value)) > 10:
            left = left.replace(hour=0, minute=0, second=0, microsecond=0)
    elif isinstance(lit, bool):
        left, right = bool(value), lit
    elif isinstance(lit, float):
        try:
            left, right = float(value), lit
        except (TypeError, ValueError):
            return False
    else:
        left, right = str(value), lit
        if _GUID.fullmatch(left):  # GUIDs compare without case; other strings (a key with 4 dashes) with it
            left, right = left.lower(), right.lower()
    return {
        "eq": left == right,
        "ne": left != right,
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]


def order(entities: list[dict[str, Any]], spec: str, fields: set[str]) -> list[dict[str, Any]]:
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        if name not in fields:
            raise ODataError(f"Could not find a property named '{name}' on type 'Microsoft.NAV.entity'.")
        desc = direction.strip().lower() == "desc"
        present = [e for e in entities if e.get(name) is not None]
        missing = [e for e in entities if e.get(name) is None]
        present.sort(key=lambda e: e[name] if not isinstance(e[name], str) else e[name].lower(), reverse=desc)
        entities = (missing + present) if not desc else (present + missing)
    return entities
