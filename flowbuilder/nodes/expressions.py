"""JSONata expressions and ``{{ }}`` templates, with the guard rails user-written code needs.

* Compiled expressions are cached (``functools.lru_cache``): parsing costs ~40 us, evaluating a small
  expression ~15 us, and the same few expressions run for every item of every run.
* Each evaluation gets a time limit, a depth limit and size limits, enforced through jsonata-python's
  evaluate entry/exit callbacks (its own Timebox measures time from *construction*, so it cannot be
  reused with a cache), plus guarded versions of the functions that can allocate a huge string in one
  call ($pad, $join, $replace, $string).
* The callbacks only run between evaluation steps, so the work one step can do is bounded too: the
  library evaluates ranges and builtins eagerly (``[1..10000000]`` is legal JSONata, ``$zip`` of two such
  ranges allocated 10 million pairs in one call). A range may hold at most ``max_items`` numbers,
  ``$zip`` may build at most ``max_output_units``, and every list or object the evaluation builds counts
  against ``max_allocated_units``: a flattening path (``[1..99999].[1..99999]``) stops after a few
  steps instead of at the deadline with a gigabyte allocated. A result that arrives after the deadline
  is refused as well, and memory a stopped evaluation allocated is handed back to the system.
* Regex literals run on google-re2 (linear time): jsonata-python's default engine is Python's ``re``,
  which had a ReDoS advisory. Patterns RE2 cannot run (back-references, look-around) are refused.
* ``$eval`` is disabled: it would evaluate text taken from data. Template rendering is not recursive
  either: a value produced by an expression is never parsed again, so ``{{ }}`` arriving in a webhook
  body or a CRM field stays a literal string.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import json
import math
import operator
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonata
import re2
from jsonata import jexception
from jsonata.functions import Functions
from jsonata.regex_engine import RegexFlags
from jsonata.utils import Utils as _JsonataUtils

from flowbuilder.core.errors import NodeError

MAX_EXPRESSION_CHARS = 10_000
_NULL = _JsonataUtils.NULL_VALUE  # the library's JSON null inside results


@dataclass(frozen=True)
class Limits:
    """Per-evaluation limits. Generous for mapping work, tight enough to stop runaway expressions."""

    timeout_s: float = 1.0
    max_depth: int = 120  # nested evaluation frames (recursion); Python's own stack ends near 150
    max_string_chars: int = 1_000_000
    max_items: int = 100_000  # entries of any intermediate array or object
    max_output_units: int = 2_000_000  # result size: scalars + characters, counted recursively
    # Entries of all the lists and objects one evaluation builds (and of the ranges it spans), summed:
    # bounds the memory and work of steps the time check cannot interrupt.
    max_allocated_units: int = 3_000_000


DEFAULT_LIMITS = Limits()


class ExpressionError(NodeError):
    """An expression failed to parse or evaluate. ``position`` is the character offset if known."""

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        expression: str = "",
        position: int | None = None,
        code: str = "",
        field: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.field = field
        self.expression = expression
        self.position = position
        self.code = code


class _LimitExceeded(jexception.JException):
    """Raised inside the evaluator; a JException so library code that wraps errors passes it on."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)
        self.error = "FB_LIMIT"
        self.location = -1
        self.current = self.expected = self.extra = None


# --- regex on RE2 -------------------------------------------------------------------------------------


def _re2_engine(pattern: str, flags: RegexFlags) -> Any:
    """jsonata-python regex_engine hook: compile regex literals with RE2 (linear time, no ReDoS)."""
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not flags.case_insensitive
    prefix = "(?m)" if flags.multiline else ""
    try:
        return re2.compile(prefix + pattern, options)
    except re2.error as exc:
        raise ExpressionError(
            f"Regular expression /{pattern}/ is not supported: {_text(exc)}",
            hint="Use a pattern without back-references or look-around (regexes run on RE2).",
            code="regex",
        ) from None


def _text(exc: BaseException) -> str:
    msg = exc.args[0] if exc.args else exc
    return msg.decode(errors="replace") if isinstance(msg, bytes) else str(msg)


# --- guarded built-in functions ----------------------------------------------------------------------


class _GuardedFunctions(Functions):
    """Size-checked versions of the functions that can build a huge string in one call."""

    limits: Limits = DEFAULT_LIMITS

    @staticmethod
    def pad(string: str | None, width: Any, char: str | None) -> str | None:
        if isinstance(width, int | float) and abs(width) > _GuardedFunctions.limits.max_string_chars:
            raise _LimitExceeded(f"$pad width {width} is larger than the limit")
        return Functions.pad(string, width, char)

    @staticmethod
    def join(strings: Any, separator: str | None) -> str | None:
        if isinstance(strings, list):
            total = sum(len(s) for s in strings if isinstance(s, str))
            total += len(separator or "") * len(strings)
            if total > _GuardedFunctions.limits.max_string_chars:
                raise _LimitExceeded("$join would build a string larger than the limit")
        return Functions.join(strings, separator)

    @staticmethod
    def replace(string: str | None, pattern: Any, replacement: Any, limit: Any) -> str | None:
        if isinstance(string, str) and isinstance(replacement, str) and replacement:
            if isinstance(pattern, str):
                matches = string.count(pattern) if pattern else 0
            else:
                matches = len(string) + 1  # worst case for a regex; exact count below if small
                if len(string) * len(replacement) > _GuardedFunctions.limits.max_string_chars:
                    matches = sum(1 for _ in pattern.finditer(string))
            if len(string) + matches * len(replacement) > _GuardedFunctions.limits.max_string_chars:
                raise _LimitExceeded("$replace would build a string larger than the limit")
        return Functions.replace(string, pattern, replacement, limit)

    @staticmethod
    def string(arg: Any, prettify: bool | None) -> str | None:
        if (
            _size_units(arg, _GuardedFunctions.limits.max_string_chars)
            > _GuardedFunctions.limits.max_string_chars
        ):
            raise _LimitExceeded("$string would build a string larger than the limit")
        return Functions.string(arg, prettify)

    @staticmethod
    def zip(*args: Any) -> list:
        if any(a is None for a in args):
            return []
        pairs = min((len(a) for a in args if hasattr(a, "__len__")), default=0)
        units = pairs * (len(args) + 1)
        if units > _GuardedFunctions.limits.max_output_units:
            raise _LimitExceeded(f"$zip would build {units} entries, more than the limit")
        _allocate(units)
        return Functions.zip(*args)

    @staticmethod
    def function_eval(expr: Any, focus: Any) -> Any:
        raise ExpressionError(
            "$eval is disabled: it would evaluate text taken from data.",
            hint="Reference the fields directly instead of building expression text.",
            code="eval_disabled",
        )


_GUARDED = {
    "pad": ("<s-ns?:s>", "pad"),
    "join": ("<a<s>s?:s>", "join"),
    "replace": ("<s-(sf)(sf)n?:s>", "replace"),
    "string": ("<x-b?:s>", "string"),
    "eval": ("<sx?:x>", "function_eval"),
    "zip": ("<a+>", "zip"),
}


# --- compiled expressions ----------------------------------------------------------------------------


_current = threading.local()  # the running evaluation's _Guard, for the range operator and $zip


def _allocate(units: int) -> None:
    guard = getattr(_current, "guard", None)
    if guard is not None:
        guard.allocate(units)


class _Guard:
    """Entry/exit callbacks for one evaluation: time, depth and intermediate-size limits."""

    __slots__ = ("allocated", "deadline", "depth", "limits", "tripped")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.deadline = time.monotonic() + limits.timeout_s
        self.depth = 0
        self.allocated = 0
        self.tripped = ""

    def allocate(self, units: int) -> None:
        self.allocated += units
        if self.allocated > self.limits.max_allocated_units:
            self._trip(f"it built more than {self.limits.max_allocated_units} list or object entries in all")

    def enter(self, expr: Any, input: Any, env: Any) -> None:
        if env.is_parallel_call:
            return
        self.depth += 1
        if self.depth > self.limits.max_depth:
            self._trip(f"it nests deeper than {self.limits.max_depth} levels (runaway recursion?)")
        if time.monotonic() > self.deadline:
            self._trip(f"it ran longer than {self.limits.timeout_s:g} s (infinite loop?)")

    def exit(self, expr: Any, input: Any, env: Any, result: Any) -> None:
        if env.is_parallel_call:
            return
        self.depth -= 1
        cls = result.__class__
        if cls is str:
            if len(result) > self.limits.max_string_chars:
                self._trip(f"it built a string longer than {self.limits.max_string_chars} characters")
        elif isinstance(result, list | dict):
            size = len(result)
            if size > self.limits.max_items:
                self._trip(f"it built a list or object with more than {self.limits.max_items} entries")
            self.allocated += size  # inline (not allocate()): this runs for every step of every item
            if self.allocated > self.limits.max_allocated_units:
                self.allocate(0)

    def _trip(self, reason: str) -> None:
        self.tripped = reason
        raise _LimitExceeded(reason)


class Deferred:
    """A binding built only when an expression names it, from that expression's text: ``$node`` maps the
    finished nodes' outputs, which a chain of N nodes would otherwise build N times for expressions that
    never read it, and which holds only the nodes the expression names (``make(text)`` decides)."""

    __slots__ = ("_make", "_values")

    def __init__(self, make: Any) -> None:
        self._make, self._values = make, {}

    def value(self, text: str) -> Any:
        built = self._values.get(text, _UNBUILT)
        if built is _UNBUILT:
            built = self._values[text] = self._make(text)
        return built


_UNBUILT = object()
_NO_SHORTCUT = object()
_ITEM_PATH = r"\$item\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
_PLAIN_PATH = re2.compile(rf"\s*{_ITEM_PATH}\s*")
_PATH_OP_NUMBER = re2.compile(rf"\s*{_ITEM_PATH}\s*(<=|>=|[-+*<>])\s*(\d{{1,15}}(?:\.\d{{1,15}})?)\s*")
_STRING_FUNCTION = re2.compile(rf"\s*\$(uppercase|lowercase|trim)\(\s*{_ITEM_PATH}\s*\)\s*")
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_COMPARISON = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_STRING_FUNCTIONS = {
    "uppercase": Functions.uppercase,
    "lowercase": Functions.lowercase,
    "trim": Functions.trim,
}


def _walk(item: Any, path: tuple[str, ...]) -> Any:
    """``$item.a.b`` when it is objects all the way down (JSONata maps over arrays: not a shortcut)."""
    value = item
    for name in path:
        if value.__class__ is not dict:
            return _NO_SHORTCUT
        value = value.get(name, _NO_SHORTCUT)
    return value


def _is_number(value: Any) -> bool:
    return value.__class__ is int or (value.__class__ is float and math.isfinite(value))


def _shortcut_for(text: str) -> Any:
    """A direct reading of the commonest mapping shapes, computed exactly as the JSONata library computes
    them (its own number conversion and string functions), for data that makes them exact; anything else
    (a missing field, null, a type JSONata would refuse or convert) answers ``_NO_SHORTCUT`` and the
    expression goes to JSONata. W2's map and filter spent most of the run in the interpreter otherwise.

    * ``$item.a.b``: a string, whole number or boolean;
    * ``$item.n + 1`` (``-``, ``*``) and ``$item.n > 0`` (``>=``, ``<``, ``<=``) with a number literal;
    * ``$uppercase($item.s)``, ``$lowercase(...)``, ``$trim(...)`` of a string.
    """
    if match := _PLAIN_PATH.fullmatch(text):
        return functools.partial(_read_plain, tuple(match.group(1).split(".")))
    if match := _PATH_OP_NUMBER.fullmatch(text):
        path, op, literal = tuple(match.group(1).split(".")), match.group(2), match.group(3)
        number = _JsonataUtils.convert_number(float(literal))  # as the parser reads the literal
        if op in _ARITHMETIC:
            return functools.partial(_read_arithmetic, path, _ARITHMETIC[op], number)
        return functools.partial(_read_comparison, path, _COMPARISON[op], number)
    if match := _STRING_FUNCTION.fullmatch(text):
        path = tuple(match.group(2).split("."))
        return functools.partial(_read_string_function, path, _STRING_FUNCTIONS[match.group(1)])
    return None


def _read_plain(path: tuple[str, ...], item: Any, limits: Limits) -> Any:
    value = _walk(item, path)
    cls = value.__class__
    if cls is bool or (cls is int and abs(value) < 2**53):
        return value
    if cls is str and len(value) <= limits.max_string_chars:
        return value
    return _NO_SHORTCUT


def _read_arithmetic(path: tuple[str, ...], op: Any, number: Any, item: Any, limits: Limits) -> Any:
    value = _walk(item, path)
    if not _is_number(value):
        return _NO_SHORTCUT
    result = op(float(value), float(number))  # JSONata computes in doubles
    return _JsonataUtils.convert_number(result) if math.isfinite(result) else _NO_SHORTCUT


def _read_comparison(path: tuple[str, ...], op: Any, number: Any, item: Any, limits: Limits) -> Any:
    value = _walk(item, path)
    if not _is_number(value):
        return _NO_SHORTCUT
    if value.__class__ is not number.__class__:  # an int against a float: both as doubles, as JSONata does
        return op(float(value), float(number))
    return op(value, number)


def _read_string_function(path: tuple[str, ...], function: Any, item: Any, limits: Limits) -> Any:
    value = _walk(item, path)
    if value.__class__ is not str:
        return _NO_SHORTCUT
    result = function(value)
    return result if len(result) <= limits.max_string_chars else _NO_SHORTCUT


class CompiledExpression:
    """A parsed JSONata expression. Evaluate with :meth:`evaluate`; instances are cached and shared."""

    __slots__ = ("_jsonata", "_shortcut", "text")

    def __init__(self, text: str, compiled: jsonata.Jsonata) -> None:
        self.text = text
        self._jsonata = compiled
        # The commonest mapping shapes are read directly when the data makes that exact (_shortcut_for);
        # anything else goes to JSONata.
        self._shortcut = _shortcut_for(text)

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r})"

    def evaluate(self, bindings: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
        """Evaluate with ``bindings`` ($item, $index, ...); ``$item`` is also the root (``$``)."""
        if self._shortcut is not None:
            value = self._shortcut(bindings.get("item"), limits)
            if value is not _NO_SHORTCUT:
                return value
        guard = _Guard(limits)
        env = dict(bindings)
        for name, bound in bindings.items():
            if isinstance(bound, Deferred):
                # $eval is disabled, so the text names every binding an evaluation reads.
                if f"${name}" in self.text:
                    env[name] = bound.value(self.text)
                else:
                    del env[name]
        env["__evaluate_entry"] = guard.enter
        env["__evaluate_exit"] = guard.exit
        _GuardedFunctions.limits = limits
        # $now()/$millis() and higher-order functions read the thread's "current" instance.
        jsonata.Jsonata.CURRENT.jsonata = self._jsonata
        outer, _current.guard = getattr(_current, "guard", None), guard
        try:
            result = self._evaluate(bindings, env, guard)
            output = _to_json(result, limits, self, guard.deadline)
            if time.monotonic() > guard.deadline:  # one uninterruptible step ran past it
                guard.tripped = f"it ran longer than {limits.timeout_s:g} s"
                raise self._error(guard.tripped, code="limit")
            return output
        except ExpressionError as exc:
            if exc.code == "limit":
                _release_memory()
            raise
        finally:
            _current.guard = outer

    def _evaluate(self, bindings: Mapping[str, Any], env: dict[str, Any], guard: _Guard) -> Any:
        # Errors are raised after the except blocks: chained to the library's exception, they would keep
        # its frames (and everything a runaway evaluation allocated) alive.
        try:
            return self._jsonata.evaluate(bindings.get("item"), env)
        except ExpressionError as exc:
            exc.expression = exc.expression or self.text
            error = exc
        except RecursionError:
            error = self._error("it nests too deeply (runaway recursion?)", code="limit")
        except jexception.JException as exc:
            if guard.tripped or isinstance(exc, _LimitExceeded):
                error = self._error(guard.tripped or str(exc), code="limit")
            else:
                error = ExpressionError(
                    f"Expression {self.text!r} failed: {exc}",
                    hint="Check the field names and types the expression uses.",
                    expression=self.text,
                    code=getattr(exc, "error", "") or "",
                )
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, ArithmeticError) as exc:
            error = ExpressionError(
                f"Expression {self.text!r} failed: {exc}",
                hint="Check the field names and types the expression uses.",
                expression=self.text,
                code="runtime",
            )
        error.__traceback__ = None
        raise error

    def _error(self, reason: str, *, code: str) -> ExpressionError:
        return ExpressionError(
            f"Expression {self.text!r} was stopped: {reason}.",
            hint="Simplify the expression or process fewer items at once.",
            expression=self.text,
            code=code,
        )


@functools.lru_cache(maxsize=4096)
def compile_expression(text: str) -> CompiledExpression:
    """Parse ``text`` once (LRU cached). Raises :class:`ExpressionError` with a position."""
    if not isinstance(text, str):
        raise ExpressionError("An expression must be a string.", code="type")
    if not text.strip():
        raise ExpressionError("The expression is empty.", hint="Write an expression, e.g. $item.name.")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.", expression=text[:80]
        )
    try:
        compiled = jsonata.Jsonata(text, _re2_engine)
    except ExpressionError as exc:
        exc.expression = text
        raise
    except jexception.JException as exc:
        position = exc.location if isinstance(exc.location, int) and exc.location >= 0 else None
        where = f" at character {position}" if position is not None else ""
        raise ExpressionError(
            f"Syntax error{where} in {text!r}: {exc}",
            hint="Fix the JSONata syntax (see the expression help).",
            expression=text,
            position=position,
            code=exc.error or "syntax",
        ) from None
    except RecursionError:
        raise ExpressionError("The expression is nested too deeply.", expression=text[:80]) from None
    except Exception as exc:  # the parser has a few unguarded paths; never let them escape
        raise ExpressionError(f"Cannot parse {text!r}: {exc}", expression=text, code="syntax") from None
    if compiled.get_errors():
        raise ExpressionError(f"Syntax error in {text!r}", expression=text, code="syntax")
    compiled.set_validate_input(False)  # bindings are JSON already; the check costs per evaluation
    compiled.set_output_convert_nulls(False)  # _to_json converts them, watching size and time
    compiled.evaluate_range_expression = functools.partial(_guarded_range, compiled.evaluate_range_expression)
    for name, (signature, method) in _GUARDED.items():
        compiled.register_function(name, jsonata.Jsonata.function(name, signature, _GuardedFunctions, method))
    return CompiledExpression(text, compiled)


def _guarded_range(evaluate_range: Any, lhs: Any, rhs: Any) -> Any:
    """The range operator, refusing ranges over ``max_items`` before anything iterates over them."""
    if (
        isinstance(lhs, int)
        and isinstance(rhs, int)
        and not isinstance(lhs, bool)
        and not isinstance(rhs, bool)
    ):
        size = rhs - lhs + 1
        limit = _GuardedFunctions.limits.max_items
        if size > limit:
            raise _LimitExceeded(f"the range [{lhs}..{rhs}] holds more than {limit} numbers")
        _allocate(max(size, 0))
    return evaluate_range(lhs, rhs)


def _libc_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_MALLOC_TRIM = _libc_trim()


def _release_memory() -> None:
    """After a stopped evaluation: collect its garbage and give freed memory back to the system (glibc
    otherwise keeps it, and the worker stayed ~90 MB larger after one runaway expression)."""
    gc.collect(1)  # the young generations: where a stopped evaluation's cycles are; a full pass costs ~0.1 s
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def check_syntax(text: str) -> str | None:
    """``None`` if ``text`` parses as an expression, else a message saying what to fix."""
    try:
        compile_expression(text)
    except ExpressionError as exc:
        return exc.message
    return None


def evaluate(text: str, bindings: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Compile (cached) and evaluate one expression."""
    return compile_expression(text).evaluate(bindings, limits=limits)


# --- templates ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateText:
    """A config string split into literal text and expressions. ``whole`` = exactly one ``{{ }}``."""

    parts: tuple[str | CompiledExpression, ...]
    whole: bool


def _find_template_end(text: str, start: int) -> int:
    """Index of the ``}}`` closing the expression opened before ``start``; skips strings and braces."""
    depth = 0
    quote = ""
    i = start
    n = len(text)
    while i < n:
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0 and text.startswith("}}", i):
                return i
            depth -= 1
        i += 1
    return -1


@functools.lru_cache(maxsize=8192)
def parse_template(text: str) -> TemplateText | None:
    """Split a string into a :class:`TemplateText`, or ``None`` if it holds no ``{{``. Cached."""
    if "{{" not in text:
        return None
    parts: list[str | CompiledExpression] = []
    pos = 0
    while True:
        open_at = text.find("{{", pos)
        if open_at < 0:
            if pos < len(text):
                parts.append(text[pos:])
            break
        if open_at > pos:
            parts.append(text[pos:open_at])
        close_at = _find_template_end(text, open_at + 2)
        if close_at < 0:
            raise ExpressionError(
                f"Unclosed '{{{{' at character {open_at} in {text!r}.",
                hint="Close the template with '}}'.",
                expression=text,
                position=open_at,
                code="template",
            )
        parts.append(compile_expression(text[open_at + 2 : close_at].strip()))
        pos = close_at + 2
    whole = len(parts) == 1 and isinstance(parts[0], CompiledExpression)
    if not whole and len(parts) == 3 and isinstance(parts[1], CompiledExpression):
        # Surrounding whitespace does not turn a single expression into text.
        whole = isinstance(parts[0], str) and not parts[0].strip() and isinstance(parts[2], str)
        whole = whole and not parts[2].strip()
        if whole:
            parts = [parts[1]]
    return TemplateText(tuple(parts), whole)


def check_template(text: str) -> str | None:
    """``None`` if every ``{{ }}`` in ``text`` parses, else a message saying what to fix."""
    try:
        parse_template(text)
    except ExpressionError as exc:
        return exc.message
    return None


def as_text(value: Any) -> str:
    """How a value reads when interpolated into text (JSONata's $string conventions)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render_template(value: Any, bindings: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Render a config value: ``{{ }}`` in strings are evaluated; lists and dicts are walked.

    Only the config value itself is walked. What an expression returns is final: it is never parsed for
    ``{{ }}`` again, so text arriving in data cannot become an expression.
    """
    if isinstance(value, str):
        template = parse_template(value)
        if template is None:
            return value
        if template.whole:
            return template.parts[0].evaluate(bindings, limits=limits)  # type: ignore[union-attr]
        return "".join(
            part if isinstance(part, str) else as_text(part.evaluate(bindings, limits=limits))
            for part in template.parts
        )
    if isinstance(value, dict):
        return {k: render_template(v, bindings, limits=limits) for k, v in value.items()}
    if isinstance(value, list):
        return [render_template(v, bindings, limits=limits) for v in value]
    return value


def evaluate_field(value: Any, bindings: Mapping[str, Any], *, limits: Limits = DEFAULT_LIMITS) -> Any:
    """An expression-capable field: a string with ``{{ }}`` is a template, any other string a bare
    JSONata expression; non-strings are literals."""
    if isinstance(value, str):
        if "{{" in value:
            return render_template(value, bindings, limits=limits)
        return compile_expression(value).evaluate(bindings, limits=limits)
    return value


def check_field(value: Any) -> str | None:
    """Syntax check matching :func:`evaluate_field`."""
    if not isinstance(value, str):
        return None
    return check_template(value) if "{{" in value else check_syntax(value)


def render_config(
    config: Mapping[str, Any],
    bindings: Mapping[str, Any],
    fields: Iterable[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """A copy of ``config`` with the top-level ``fields`` rendered for one item."""
    rendered = dict(config)
    for name in fields:
        if name in rendered:
            rendered[name] = render_template(rendered[name], bindings, limits=limits)
    return rendered


def is_truthy(value: Any) -> bool:
    """JSONata's $boolean casting rules (an array is true if any member is)."""
    if isinstance(value, list):
        return any(is_truthy(v) for v in value)
    if isinstance(value, dict):
        return bool(value)
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


# --- results -----------------------------------------------------------------------------------------


def _size_units(value: Any, budget: int) -> int:
    """Approximate size (scalars count 1, strings their length); stops counting past ``budget``."""
    total = 0
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v) + 1
        elif isinstance(v, dict):
            total += len(v) + 1
            stack.extend(v.values())
            total += sum(len(k) for k in v if isinstance(k, str))
        elif isinstance(v, list):
            total += 1
            stack.extend(v)
        else:
            total += 1
        if total > budget:
            return total
    return total


def _to_json(result: Any, limits: Limits, expression: CompiledExpression, deadline: float) -> Any:
    """Plain JSON copy of a result (the library returns list subclasses and a null sentinel), in one
    iterative pass that counts the result's size as it goes and watches the deadline: a result larger
    than ``max_output_units`` is refused before it is all copied, and copying a big result cannot
    overrun the time limit unnoticed."""
    if result is None or result.__class__ in (str, int, bool):
        return result
    if isinstance(result, float):
        if math.isfinite(result):
            return result
        raise ExpressionError(f"Expression {expression.text!r} returned {result}, which is not JSON.")
    budget, units = limits.max_output_units, 0
    root: list[Any] = [None]
    stack: list[tuple[Any, Any, Any]] = [(result, root, 0)]
    while stack:
        value, parent, key = stack.pop()
        units += 1
        if units & 0x3FFF == 0 and time.monotonic() > deadline:
            raise expression._error(f"it ran longer than {limits.timeout_s:g} s", code="limit")
        if value is None or value is _NULL:
            parent[key] = None
        elif isinstance(value, str):
            units += len(value)
            parent[key] = value
        elif isinstance(value, bool | int):
            parent[key] = value
        elif isinstance(value, float):
            parent[key] = value if math.isfinite(value) else None
        elif isinstance(value, dict):
            copy: dict[str, Any] = {}
            parent[key] = copy
            for k, v in value.items():
                name = str(k)
                units += len(name)
                copy[name] = None  # keeps the key order; filled from the stack
                stack.append((v, copy, name))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            parent[key] = items
            stack.extend((v, items, i) for i, v in enumerate(value))
        else:
            raise ExpressionError(
                f"Expression {expression.text!r} returned a {type(value).__name__}, not a JSON value.",
                hint="Call the function instead of returning it.",
                expression=expression.text,
                code="type",
            )
        if units > budget:
            raise expression._error(f"its result is larger than {budget} units", code="limit")
    return root[0]
