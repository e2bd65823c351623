"""A SuiteQL subset: SELECT [DISTINCT] exprs FROM table [alias] [WHERE ...] [ORDER BY ...].

Expressions: columns, literals, UPPER/LOWER/NVL/TO_CHAR/TO_DATE/TO_TIMESTAMP/BUILTIN.DF, SYSDATE, COUNT(*).
Conditions: = <> != < > <= >= LIKE, IN (...), BETWEEN, IS [NOT] NULL, AND/OR/NOT. No joins or GROUP BY.
Values come out as SuiteQL returns them over REST: strings, 'T'/'F' booleans, dates as M/D/YYYY, and null
columns omitted from the row.

Date-times are instants; SuiteQL shows them, and reads date-time literals (TO_TIMESTAMP, TO_DATE), in the
account's time zone (``tz``; the integration user's time zone preference on a real account), so a client
that compares ``lastmodifieddate`` with a UTC value without converting it is off by the zone's offset.
A literal in the hour repeated when clocks go back is read as its first occurrence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from ..platform.timeutil import parse_iso, utcnow
from ..platform.tokenizer import IDENT, NUMBER, QUOTED_DOUBLED, Tokenizer, TokenStream


class SuiteQLError(Exception):
    pass


@dataclass
class Table:
    rows: Callable[[], list[dict[str, Any]]]
    columns: tuple[str, ...]
    display: Callable[[str, Any], str | None]  # BUILTIN.DF(column) for a value
    # BUILTIN.DF(column) when the shown text depends on the rest of the row (transaction status by type)
    row_display: Callable[[str, dict[str, Any]], str | None] | None = None


def _syntax_error(text: str, pos: int) -> SuiteQLError:
    return SuiteQLError(f"Invalid search query. Unexpected text near: {text[pos : pos + 20]}")


_TOKENIZER = Tokenizer(
    [
        ("str", QUOTED_DOUBLED),
        ("num", NUMBER),
        ("op", r"<=|>=|<>|!=|\|\||=|<|>|\*|\(|\)|,"),
        ("ident", IDENT + rf"(?:\.{IDENT})?"),  # column or alias.column
    ],
    _syntax_error,
)

_RESERVED = {
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "order",
    "by",
    "asc",
    "desc",
    "is",
    "null",
    "like",
    "in",
    "between",
    "as",
    "distinct",
    "join",
    "left",
    "inner",
    "group",
    "having",
    "on",
}


# AST nodes are tuples: ("col", name) ("lit", value) ("fn", name, [args]) ("cmp", op, a, b)
# ("and"/"or", [..]) ("not", x) ("in", x, [..]) ("isnull", x) ("count",)


class _Parser(TokenStream):
    def __init__(self, text: str) -> None:
        super().__init__(_TOKENIZER.tokenize(text.strip().rstrip(";")))

    def unexpected_end(self) -> SuiteQLError:
        return SuiteQLError("Invalid search query. Unexpected end of query.")

    def sym(self, text: str) -> bool:
        tok = self.peek()
        return bool(tok and tok.kind == "op" and tok.text == text)

    def alias_ahead(self) -> bool:
        """An identifier that is not a keyword: an alias (SELECT expr alias, FROM table alias)."""
        tok = self.peek()
        return bool(tok and tok.kind == "ident" and tok.text.lower() not in _RESERVED)

    def expect_word(self, word: str) -> None:
        if not self.word(word):
            raise SuiteQLError(f"Invalid search query. Expected {word.upper()}.")
        self.i += 1

    def expect_sym(self, text: str) -> None:
        if not self.sym(text):
            raise SuiteQLError(f"Invalid search query. Expected '{text}'.")
        self.i += 1

    def parse(self) -> dict[str, Any]:
        self.expect_word("select")
        distinct = False
        if self.word("distinct"):
            self.i += 1
            distinct = True
        items: list[tuple[Any, str | None]] = []
        while True:
            if self.sym("*"):
                self.i += 1
                items.append((("star",), None))
            else:
                expr = self.expr()
                alias = None
                if self.word("as"):
                    self.i += 1
                    alias = self.take().text
                elif self.alias_ahead():
                    alias = self.take().text
                items.append((expr, alias))
            if self.sym(","):
                self.i += 1
                continue
            break
        self.expect_word("from")
        table = self.take().text.lower()
        alias = None
        if self.alias_ahead():
            alias = self.take().text.lower()
        if self.word("join", "left", "inner", "group"):
            raise SuiteQLError("The sandbox's SuiteQL does not support joins or GROUP BY.")
        where = None
        if self.word("where"):
            self.i += 1
            where = self.or_()
        order: list[tuple[Any, bool]] = []
        if self.word("order"):
            self.i += 1
            self.expect_word("by")
            while True:
                expr = self.expr()
                desc = False
                if self.word("asc", "desc"):
                    desc = self.take().text.lower() == "desc"
                order.append((expr, desc))
                if self.sym(","):
                    self.i += 1
                    continue
                break
        if self.peek() is not None:
            raise SuiteQLError(f"Invalid search query. Unexpected token: {self.peek().text}")
        return {
            "items": items,
            "table": table,
            "alias": alias,
            "where": where,
            "order": order,
            "distinct": distinct,
        }

    def or_(self) -> Any:
        parts = [self.and_()]
        while self.word("or"):
            self.i += 1
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else ("or", parts)

    def and_(self) -> Any:
        parts = [self.not_()]
        while self.word("and"):
            self.i += 1
            parts.append(self.not_())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def not_(self) -> Any:
        if self.word("not"):
            self.i += 1
            return ("not", self.not_())
        if self.sym("("):
            save = self.i
            self.i += 1
            try:
                inner = self.or_()
                self.expect_sym(")")
                if not self._at_comparison():
                    return inner
            except SuiteQLError:
                pass
            self.i = save
        return self.predicate()

    def _at_comparison(self) -> bool:
        tok = self.peek()
        return bool(tok and tok.kind == "op" and tok.text in ("=", "<>", "!=", "<", ">", "<=", ">="))

    def predicate(self) -> Any:
        left = self.expr()
        negate = False
        if self.word("is"):
            self.i += 1
            if self.word("not"):
                self.i += 1
                negate = True
            self.expect_word("null")
            node: Any = ("isnull", left)
            return ("not", node) if negate else node
        if self.word("not"):
            self.i += 1
            negate = True
        if self.word("like"):
            self.i += 1
            node = ("cmp", "like", left, self.expr())
        elif self.word("in"):
            self.i += 1
            self.expect_sym("(")
            values = [self.expr()]
            while self.sym(","):
                self.i += 1
                values.append(self.expr())
            self.expect_sym(")")
            node = ("in", left, values)
        elif self.word("between"):
            self.i += 1
            low = self.expr()
            self.expect_word("and")
            node = ("and", [("cmp", ">=", left, low), ("cmp", "<=", left, self.expr())])
        else:
            tok = self.take()
            if tok.kind != "op" or tok.text not in ("=", "<>", "!=", "<", ">", "<=", ">="):
                raise SuiteQLError(f"Invalid search query. Unexpected token: {tok.text}")
            node = ("cmp", "!=" if tok.text == "<>" else tok.text, left, self.expr())
        return ("not", node) if negate else node

    def expr(self) -> Any:
        left = self.term()
        while self.sym("||"):
            self.i += 1
            left = ("fn", "concat", [left, self.term()])
        return left

    def term(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if kind == "num":
            return ("lit", float(text) if "." in text else int(text))
        if kind == "op" and text == "(":
            inner = self.expr()
            self.expect_sym(")")
            return inner
        if kind == "ident":
            lowered = text.lower()
            if lowered in ("sysdate", "current_date"):
                return ("fn", "sysdate", [])
            if lowered == "null":
                return ("lit", None)
            if self.sym("("):
                self.i += 1
                if lowered == "count":
                    if self.sym("*"):
                        self.i += 1
                    else:
                        self.expr()
                    self.expect_sym(")")
                    return ("count",)
                args = [] if self.sym(")") else [self.expr()]
                while self.sym(","):
                    self.i += 1
                    args.append(self.expr())
                self.expect_sym(")")
                return ("fn", lowered, args)
            if lowered in _RESERVED:
                raise SuiteQLError(f"Invalid search query. Unexpected keyword: {text}")
            return ("col", lowered)
        raise SuiteQLError(f"Invalid search query. Unexpected token: {text}")


_FMT = [
    ("YYYY", "%Y"),
    ("HH24", "%H"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("HH", "%I"),
    ("AM", "%p"),
    ("PM", "%p"),
]


def _strftime_format(fmt: str) -> str:
    out, i = "", 0
    while i < len(fmt):
        if fmt[i] == '"':
            end = fmt.find('"', i + 1)
            end = len(fmt) if end < 0 else end
            out += fmt[i + 1 : end].replace("%", "%%")
            i = end + 1
            continue
        for token, directive in _FMT:
            if fmt.upper().startswith(token, i):
                out += directive
                i += len(token)
                break
        else:
            out += fmt[i].replace("%", "%%")
            i += 1
    return out


def _start_of_day(value: date, tz: tzinfo) -> datetime:
    return datetime(value.year, value.month, value.day, tzinfo=tz)


def _to_datetime(value: Any, tz: tzinfo) -> datetime | None:
    """An instant: a date is its midnight in the account's zone, a text without zone is read in it."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return _start_of_day(value, tz)
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value.strip())
        if m:
            return _start_of_day(date(int(m[3]), int(m[1]), int(m[2])), tz)
        parsed = parse_iso(value)
        if parsed is not None and not re.search(r"(Z|z|[+-]\d{2}:?\d{2})$", value.strip()):
            parsed = parsed.replace(tzinfo=tz)  # no zone given: the account's wall clock
        return parsed
    return None


def display(value: Any, tz: tzinfo = UTC) -> str:
    """How SuiteQL renders a value over REST (a date-time as its date in the account's zone)."""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, datetime):
        local = value.astimezone(tz) if value.tzinfo else value
        return f"{local.month}/{local.day}/{local.year}"
    if isinstance(value, date):
        return f"{value.month}/{value.day}/{value.year}"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return str(value)


class _Eval:
    def __init__(self, table: Table, alias: str | None, name: str, tz: tzinfo) -> None:
        self.tz = tz
        self.table = table
        self.alias = alias
        self.name = name
        self.columns = set(table.columns)

    def column(self, col: str) -> str:
        if "." in col:
            prefix, _, col = col.partition(".")
            if prefix not in (self.alias, self.name):
                raise SuiteQLError(f"Invalid search query. Unknown identifier: {prefix}")
        if col not in self.columns and not col.startswith(("custentity", "custbody")):
            raise SuiteQLError(
                f"Search error occurred: Field '{col}' for record '{self.name}' was not found."
            )
        return col

    def value(self, node: Any, row: dict[str, Any]) -> Any:
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "col":
            return row.get(self.column(node[1]))
        if kind == "fn":
            return self.function(node[1], node[2], row)
        raise SuiteQLError("Invalid search query.")

    def function(self, name: str, args: list[Any], row: dict[str, Any]) -> Any:
        if name == "builtin.df":
            if not args or args[0][0] != "col":
                raise SuiteQLError("BUILTIN.DF takes a column")
            col = self.column(args[0][1])
            raw = row.get(col)
            if raw is None:
                return None
            shown = self.table.row_display(col, row) if self.table.row_display else None
            return shown or self.table.display(col, raw) or display(raw, self.tz)
        values = [self.value(a, row) for a in args]
        if name == "sysdate":
            return utcnow()  # an instant; shown in the account's zone
        if name in ("upper", "lower"):
            return None if values[0] is None else getattr(display(values[0], self.tz), name)()
        if name == "nvl":
            return values[0] if values[0] is not None else values[1]
        if name == "concat":
            return "".join(display(v, self.tz) for v in values if v is not None)
        if name == "to_char":
            if values[0] is None:
                return None
            when = values[0]
            if len(values) > 1 and isinstance(when, date | datetime):
                local = (
                    when.astimezone(self.tz) if isinstance(when, datetime) else _start_of_day(when, self.tz)
                )
                return local.strftime(_strftime_format(str(values[1])))
            return display(when, self.tz)
        if name in ("to_date", "to_timestamp"):
            if values[0] is None:
                return None
            fmt = _strftime_format(str(values[1])) if len(values) > 1 else "%m/%d/%Y"
            try:
                wall = datetime.strptime(str(values[0]), fmt)
            except ValueError as exc:
                raise SuiteQLError(f"Invalid date value: {values[0]}") from exc
            if name == "to_date" and wall.time() == datetime.min.time():
                return wall.date()
            return wall.replace(tzinfo=self.tz)  # the account's wall clock (first occurrence if repeated)
        raise SuiteQLError(f"Invalid search query. Unknown function: {name.upper()}")

    def truth(self, node: Any, row: dict[str, Any]) -> bool:
        kind = node[0]
        if kind == "and":
            return all(self.truth(n, row) for n in node[1])
        if kind == "or":
            return any(self.truth(n, row) for n in node[1])
        if kind == "not":
            return not self.truth(node[1], row)
        if kind == "isnull":
            return self.value(node[1], row) in (None, "")
        if kind == "in":
            left = self.value(node[1], row)
            return any(_compare(left, "=", self.value(v, row), self.tz) for v in node[2])
        if kind == "cmp":
            return _compare(self.value(node[2], row), node[1], self.value(node[3], row), self.tz)
        raise SuiteQLError("Invalid search query.")


def _compare(a: Any, op: str, b: Any, tz: tzinfo) -> bool:
    if a is None or b is None:
        return False
    if op == "like":
        pattern = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in display(b, tz))
        return re.fullmatch(pattern, display(a, tz), re.S) is not None
    if (
        isinstance(a, date)
        and isinstance(b, date)
        and not isinstance(a, datetime)
        and not isinstance(b, datetime)
    ):
        pass  # two dates compare as dates
    elif isinstance(a, date | datetime) or isinstance(b, date | datetime):
        a, b = _to_datetime(a, tz), _to_datetime(b, tz)
        if a is None or b is None:
            return False
    elif isinstance(a, bool) or isinstance(b, bool):
        a, b = display(a, tz), display(b, tz)
    elif isinstance(a, int | float) or isinstance(b, int | float):
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            a, b = display(a, tz), display(b, tz)
    return {"=": a == b, "!=": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]


def execute(text: str, tables: dict[str, Table], tz: tzinfo = UTC) -> list[dict[str, str]]:
    """Run a query and return every row, already rendered in the account's time zone ``tz``; the caller
    pages them."""
    query = _Parser(text).parse()
    table = tables.get(query["table"])
    if table is None:
        raise SuiteQLError(f"Invalid search query. Record '{query['table']}' was not found.")
    ev = _Eval(table, query["alias"], query["table"], tz)
    rows = [r for r in table.rows() if query["where"] is None or ev.truth(query["where"], r)]
    if any(item[0][0] == "count" for item in query["items"]):
        out = {}
        for n, (expr, alias) in enumerate(query["items"]):
            key = (alias or ("expr" + str(n + 1))).lower()
            out[key] = str(len(rows)) if expr[0] == "count" else None
        return [{k: v for k, v in out.items() if v is not None}]
    for expr, desc in reversed(query["order"]):
        aliased = next(
            (e for e, a in query["items"] if a and expr[0] == "col" and a.lower() == expr[1]), None
        )
        key_expr = aliased or expr
        keyed = [(ev.value(key_expr, r), r) for r in rows]
        present = sorted(
            (k for k in keyed if k[0] is not None), key=lambda k: _sortable(k[0], tz), reverse=desc
        )
        missing = [k for k in keyed if k[0] is None]
        rows = [r for _, r in (present + missing if not desc else missing + present)]
    rendered = []
    for row in rows:
        out: dict[str, str] = {}
        for n, (expr, alias) in enumerate(query["items"]):
            if expr[0] == "star":
                for col in table.columns:
                    if row.get(col) is not None:
                        out[col] = display(row[col], tz)
                continue
            value = ev.value(expr, row)
            key = (alias or (expr[1].split(".")[-1] if expr[0] == "col" else f"expr{n + 1}")).lower()
            if value is not None and value != "":
                out[key] = display(value, tz)
        rendered.append(out)
    if query["distinct"]:
        seen, unique = set(), []
        for row in rendered:
            marker = tuple(sorted(row.items()))
            if marker not in seen:
                seen.add(marker)
                unique.append(row)
        rendered = unique
    return rendered


def _sortable(value: Any, tz: tzinfo) -> Any:
    if isinstance(value, date | datetime):
        return (0, _to_datetime(value, tz).timestamp())  # type: ignore[union-attr]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, float(value))
    return (2, display(value, tz))
