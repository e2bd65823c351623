"""A practical SOQL subset: SELECT fields|FIELDS(...)|COUNT() FROM obj [WHERE ...] [ORDER BY ...]
[LIMIT n] [OFFSET n], with parent relationship paths (Account.Name), date literals and SOQL's rules
(case-insensitive text comparison, typed literals, nulls first on ASC)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..platform.timeutil import parse_iso, start_of_day, utcnow
from ..platform.tokenizer import DATE, NUMBER, QUOTED_ESCAPED, Tokenizer, TokenStream
from .schema import ObjectDef, field_of, lookup


class SoqlError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Source(Protocol):
    def records(self, obj: str) -> list[dict[str, Any]]: ...
    def get(self, obj: str, rid: str) -> dict[str, Any] | None: ...
    def attributes(self, obj: str, rid: str) -> dict[str, str]: ...


def _syntax_error(text: str, pos: int) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", f"unexpected token near: {text[pos : pos + 20]!r}")


_TOKENIZER = Tokenizer(
    [
        ("str", QUOTED_ESCAPED),
        ("dt", DATE + r"T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"),
        ("date", DATE),
        ("num", "-?" + NUMBER),
        ("op", r"<=|>=|!=|<>|=|<|>"),
        ("punct", r"[(),]"),
        ("ident", r"[A-Za-z_][A-Za-z0-9_.]*(?::\d+)?"),  # Parent.Field paths, LAST_N_DAYS:n
    ],
    _syntax_error,
)

_KEYWORDS = {"select", "from", "where", "and", "or", "not", "order", "by", "limit", "offset", "like", "in"}


@dataclass
class Literal:
    kind: str  # string number boolean null datetime daterange
    value: Any


@dataclass
class Cond:
    path: str
    op: str  # = != < > <= >= like in notin
    value: Literal | list[Literal]


@dataclass
class BoolOp:
    op: str  # and or not
    args: list[Any]


@dataclass
class Query:
    obj: str
    fields: list[str] = field(default_factory=list)
    count: str | None = None  # "" for COUNT(), field path for COUNT(field)
    fields_fn: str | None = None
    where: Any = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # path, desc, nulls_first
    limit: int | None = None
    offset: int = 0


class _Parser(TokenStream):
    def __init__(self, text: str) -> None:
        super().__init__(_TOKENIZER.tokenize(text.rstrip()))

    def unexpected_end(self) -> SoqlError:
        return SoqlError("MALFORMED_QUERY", "unexpected end of query")

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            got = self.peek().text if self.peek() else "end of query"
            raise SoqlError("MALFORMED_QUERY", f"expecting '{word.upper()}', found '{got}'")
        self.i += 1

    def expect(self, text: str) -> None:
        tok = self.take()
        if tok.text != text:
            raise SoqlError("MALFORMED_QUERY", f"expecting '{text}', found '{tok.text}'")

    def ident(self) -> str:
        tok = self.take()
        if tok.kind != "ident" or tok.text.lower() in _KEYWORDS:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")
        return tok.text

    def parse(self) -> Query:
        self.expect_word("select")
        fields, count, fields_fn = [], None, None
        while True:
            if self.word("count") and self.peek(1) and self.peek(1).text == "(":
                self.i += 2
                count = "" if self.peek() and self.peek().text == ")" else self.ident()
                self.expect(")")
            elif self.word("fields") and self.peek(1) and self.peek(1).text == "(":
                self.i += 2
                fields_fn = self.ident().upper()
                if fields_fn not in ("ALL", "STANDARD", "CUSTOM"):
                    raise SoqlError("MALFORMED_QUERY", "FIELDS() takes ALL, STANDARD or CUSTOM")
                self.expect(")")
            else:
                fields.append(self.ident())
            if self.peek() and self.peek().text == ",":
                self.i += 1
                continue
            break
        self.expect_word("from")
        query = Query(obj=self.ident(), fields=fields, count=count, fields_fn=fields_fn)
        if self.word("where"):
            self.i += 1
            query.where = self.or_expr()
        if self.word("order"):
            self.i += 1
            self.expect_word("by")
            while True:
                path, desc = self.ident(), False
                if self.word("asc", "desc"):
                    desc = self.take().text.lower() == "desc"
                nulls_first = not desc
                if self.word("nulls"):
                    self.i += 1
                    nulls_first = self.take().text.lower() == "first"
                query.order.append((path, desc, nulls_first))
                if self.peek() and self.peek().text == ",":
                    self.i += 1
                    continue
                break
        if self.word("limit"):
            self.i += 1
            query.limit = self.integer()
        if self.word("offset"):
            self.i += 1
            query.offset = self.integer()
        if self.peek() is not None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{self.peek().text}'")
        return query

    def integer(self) -> int:
        tok = self.take()
        if tok.kind != "num" or not tok.text.isdigit():
            raise SoqlError("MALFORMED_QUERY", f"expecting a non-negative integer, found '{tok.text}'")
        return int(tok.text)

    def or_expr(self) -> Any:
        args = [self.and_expr()]
        while self.word("or"):
            self.i += 1
            args.append(self.and_expr())
        return args[0] if len(args) == 1 else BoolOp("or", args)

    def and_expr(self) -> Any:
        args = [self.not_expr()]
        while self.word("and"):
            self.i += 1
            args.append(self.not_expr())
        return args[0] if len(args) == 1 else BoolOp("and", args)

    def not_expr(self) -> Any:
        if self.word("not"):
            self.i += 1
            return BoolOp("not", [self.not_expr()])
        if self.peek() and self.peek().text == "(":
            self.i += 1
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.condition()

    def condition(self) -> Cond:
        path = self.ident()
        tok = self.take()
        op = tok.text.lower()
        if op == "not" and self.word("in"):
            self.i += 1
            op = "notin"
        if op in ("in", "notin"):
            self.expect("(")
            values = [self.literal()]
            while self.peek() and self.peek().text == ",":
                self.i += 1
                values.append(self.literal())
            self.expect(")")
            return Cond(path, op, values)
        if op == "<>":
            op = "!="
        if op not in ("=", "!=", "<", ">", "<=", ">=", "like"):
            raise SoqlError("MALFORMED_QUERY", f"unexpected operator: '{tok.text}'")
        return Cond(path, op, self.literal())

    def literal(self) -> Literal:
        tok = self.take()
        if tok.kind == "str":
            raw = tok.text[1:-1]
            return Literal("string", re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m[1], m[1]), raw))
        if tok.kind == "num":
            return Literal("number", float(tok.text))
        if tok.kind == "dt":
            return Literal("datetime", parse_iso(tok.text))
        if tok.kind == "date":
            day = parse_iso(tok.text)
            if day is None:
                raise SoqlError("MALFORMED_QUERY", f"invalid date: {tok.text}")
            return Literal("daterange", (day, day + timedelta(days=1)))
        if tok.kind == "ident":
            word = tok.text.lower()
            if word in ("true", "false"):
                return Literal("boolean", word == "true")
            if word == "null":
                return Literal("null", None)
            return Literal("daterange", _date_literal(tok.text))
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{tok.text}'")


def _date_literal(text: str) -> tuple[datetime, datetime]:
    name, _, n = text.upper().partition(":")
    today = start_of_day(utcnow().date())
    day = timedelta(days=1)
    if name == "TODAY":
        return today, today + day
    if name == "YESTERDAY":
        return today - day, today
    if name == "TOMORROW":
        return today + day, today + 2 * day
    if name in ("LAST_N_DAYS", "NEXT_N_DAYS") and n.isdigit():
        if name == "LAST_N_DAYS":
            return today - int(n) * day, today + day
        return today, today + (int(n) + 1) * day
    if name in ("THIS_MONTH", "LAST_MONTH"):
        first = today.replace(day=1)
        if name == "LAST_MONTH":
            first = (first - day).replace(day=1)
        nxt = (first + 32 * day).replace(day=1)
        return first, nxt
    if name == "THIS_YEAR":
        first = today.replace(month=1, day=1)
        return first, first.replace(year=first.year + 1)
    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text}'")


def parse(text: str) -> Query:
    return _Parser(text).parse()


# -- evaluation ----------------------------------------------------------------------------------


class _Resolver:
    """Resolves dotted paths (Account.Owner.Email) against records and the schema."""

    def __init__(self, root: ObjectDef, source: Source) -> None:
        self.root = root
        self.source = source
        self._paths: dict[str, tuple[list[tuple[ObjectDef, str]], ObjectDef, str, str]] = {}

    def field(self, path: str) -> tuple[list[tuple[ObjectDef, str]], ObjectDef, str, str]:
        """-> (hops as (object, reference field)), final object, canonical field name, type."""
        if path not in self._paths:
            self._paths[path] = self._field(path)
        return self._paths[path]

    def _field(self, path: str) -> tuple[list[tuple[ObjectDef, str]], ObjectDef, str, str]:
        obj, hops = self.root, []
        parts = path.split(".")
        if len(parts) > 1 and parts[0].lower() == obj.name.lower():
            parts = parts[1:]  # "Account.Name" on Account may be written with the object prefix
        for rel in parts[:-1]:
            ref = next((f for r, f in obj.relationships.items() if r.lower() == rel.lower()), None)
            if ref is None or lookup(ref.target or "") is None:
                raise SoqlError("INVALID_FIELD", _no_such_column(rel, obj.name))
            hops.append((obj, ref.name))
            obj = lookup(ref.target or "")  # type: ignore[assignment]
        fdef = field_of(obj, parts[-1])
        if fdef is None:
            raise SoqlError("INVALID_FIELD", _no_such_column(parts[-1], obj.name))
        return hops, obj, fdef.name, fdef.type

    def value(self, record: dict[str, Any], path: str) -> Any:
        hops, _, name, _ = self.field(path)
        current: dict[str, Any] | None = record
        for obj, ref in hops:
            rid = current.get(ref) if current else None
            target = obj.fields[ref].target or ""
            current = self.source.get(target, rid) if rid else None
        return current.get(name) if current else None


def _no_such_column(name: str, obj: str) -> str:
    return (
        f"No such column '{name}' on entity '{obj}'. If you are attempting to use a custom field, be sure "
        "to append the '__c' after the custom field name. Please reference your WSDL or the describe call "
        "for the appropriate names."
    )


_TEMPORAL = ("date", "datetime")
_NUMERIC = ("double", "currency", "percent", "int")


def _check_literal(path: str, ftype: str, lit: Literal) -> None:
    """SOQL refuses mistyped literals; so do we, so connectors get caught before a real tenant does."""
    if lit.kind == "null":
        return
    expected = (
        "date"
        if ftype in _TEMPORAL
        else "number"
        if ftype in _NUMERIC
        else "boolean"
        if ftype == "boolean"
        else "string"
    )
    ok = {
        "date": lit.kind in ("datetime", "daterange"),
        "number": lit.kind == "number",
        "boolean": lit.kind == "boolean",
        "string": lit.kind == "string",
    }[expected]
    if ftype == "date" and lit.kind == "datetime":
        ok = False
    if not ok:
        quoted = (
            "should be enclosed in quotes" if expected == "string" else "should not be enclosed in quotes"
        )
        raise SoqlError(
            "INVALID_FIELD",
            f"value of filter criterion for field '{path}' must be of type {ftype} and {quoted}",
        )


def _compare(ftype: str, value: Any, op: str, lit: Literal) -> bool:
    if lit.kind == "null":
        return (value is None) if op == "=" else (value is not None) if op == "!=" else False
    if value is None:
        return op == "!="
    if ftype in _TEMPORAL:
        when = parse_iso(str(value))
        if when is None:
            return False
        if lit.kind == "daterange":
            start, end = lit.value
            return {
                "=": start <= when < end,
                "!=": not start <= when < end,
                ">": when >= end,
                ">=": when >= start,
                "<": when < start,
                "<=": when < end,
            }.get(op, False)
        return _ordered(when, op, lit.value)
    if ftype in _NUMERIC:
        try:
            return _ordered(float(value), op, float(lit.value))
        except (TypeError, ValueError):
            return False
    if ftype == "boolean":
        return (
            (bool(value) == lit.value) if op == "=" else (bool(value) != lit.value) if op == "!=" else False
        )
    text, other = str(value).casefold(), str(lit.value).casefold()
    if op == "like":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in other)
        return re.fullmatch(pattern, text, re.S) is not None
    return _ordered(text, op, other)


def _ordered(a: Any, op: str, b: Any) -> bool:
    return {"=": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}.get(op, False)


def _sort_key(ftype: str, value: Any) -> Any:
    if value is None:
        return None
    if ftype in _TEMPORAL:
        return parse_iso(str(value))
    if ftype in _NUMERIC:
        return float(value)
    if ftype == "boolean":
        return bool(value)
    return str(value).casefold()


@dataclass
class Result:
    obj: ObjectDef
    rows: list[dict[str, Any]]
    total: int
    aggregate: bool = False


def execute(text: str, source: Source) -> Result:
    query = parse(text)
    obj = lookup(query.obj)
    if obj is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{query.obj}' is not supported.")
    resolver = _Resolver(obj, source)

    selected = list(query.fields)
    if query.fields_fn:
        if query.fields_fn != "STANDARD" and (query.limit is None or query.limit > 200):
            raise SoqlError("MALFORMED_QUERY", "The SOQL FIELDS function must have a LIMIT of at most 200")
        for fdef in obj.fields.values():
            custom = fdef.name.endswith("__c")
            if query.fields_fn == "ALL" or (query.fields_fn == "CUSTOM") == custom:
                selected.append(fdef.name)
    for path in selected:
        resolver.field(path)  # validates every selected path up front

    conditions: list[Cond] = []
    _collect(query.where, conditions)
    types: dict[str, str] = {}
    for cond in conditions:
        ftype = resolver.field(cond.path)[3]
        types[cond.path] = ftype
        for lit in cond.value if isinstance(cond.value, list) else [cond.value]:
            _check_literal(cond.path, ftype, lit)
            if cond.op == "like" and lit.kind != "string":
                raise SoqlError("MALFORMED_QUERY", "LIKE needs a string literal")

    def matches(record: dict[str, Any], node: Any) -> bool:
        if node is None:
            return True
        if isinstance(node, BoolOp):
            if node.op == "and":
                return all(matches(record, a) for a in node.args)
            if node.op == "or":
                return any(matches(record, a) for a in node.args)
            return not matches(record, node.args[0])
        value = resolver.value(record, node.path)
        ftype = types[node.path]
        if node.op in ("in", "notin"):
            hit = any(_compare(ftype, value, "=", lit) for lit in node.value)
            return hit if node.op == "in" else not hit
        return _compare(ftype, value, node.op, node.value)

    rows = [r for r in source.records(obj.name) if matches(r, query.where)]
    for path, desc, nulls_first in reversed(query.order):
        ftype = resolver.field(path)[3]
        keyed = [(_sort_key(ftype, resolver.value(r, path)), r) for r in rows]
        present = sorted((k for k in keyed if k[0] is not None), key=lambda k: k[0], reverse=desc)
        missing = [k for k in keyed if k[0] is None]
        rows = [r for _, r in (missing + present if nulls_first else present + missing)]
    total_matches = len(rows)
    rows = rows[query.offset :]
    if query.limit is not None:
        rows = rows[: query.limit]

    if query.count is not None:
        if query.count == "":
            return Result(obj, [], min(total_matches, query.limit or total_matches), aggregate=True)
        if query.count:
            resolver.field(query.count)
        n = sum(1 for r in rows if not query.count or resolver.value(r, query.count) is not None)
        return Result(obj, [{"attributes": {"type": "AggregateResult"}, "expr0": n}], 1, aggregate=True)

    return Result(obj, [_project(obj, r, selected, resolver, source) for r in rows], len(rows))


def _collect(node: Any, out: list[Cond]) -> None:
    if isinstance(node, Cond):
        out.append(node)
    elif isinstance(node, BoolOp):
        for arg in node.args:
            _collect(arg, out)


def _project(
    obj: ObjectDef, record: dict[str, Any], paths: list[str], resolver: _Resolver, source: Source
) -> dict[str, Any]:
    """Shape one row like the REST API: attributes first, then fields, parents as nested objects."""
    row: dict[str, Any] = {"attributes": source.attributes(obj.name, record["Id"])}
    for path in paths:
        hops, _, name, _ = resolver.field(path)
        target_row, current = row, record
        for hop_obj, ref in hops:
            rel = hop_obj.fields[ref].relationship or ref
            target_name = hop_obj.fields[ref].target or ""
            rid = current.get(ref) if current else None
            parent = source.get(target_name, rid) if rid else None
            if parent is None:
                target_row[rel] = None
                current = None
                break
            nested = target_row.get(rel)
            if not isinstance(nested, dict):
                nested = {"attributes": source.attributes(target_name, parent["Id"])}
                target_row[rel] = nested
            target_row, current = nested, parent
        if current is not None:
            target_row[name] = current.get(name)
    return row
