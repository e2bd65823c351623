"""The one tokenizer behind the sandbox's three query languages: SOQL, SuiteQL and OData's $filter.

A dialect declares its token kinds as (kind, regex) rules, tried in order after optional whitespace (the
first that matches wins), and how it words a syntax error. Its parser subclasses TokenStream for the
cursor and keeps only its grammar and its own error messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import ClassVar, NamedTuple

# Fragments the dialects share.
DATE = r"\d{4}-\d{2}-\d{2}"
NUMBER = r"\d+(?:\.\d+)?"
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
QUOTED_DOUBLED = r"'(?:[^']|'')*'"  # SQL style: '' stands for a quote inside the string (SuiteQL, OData)
QUOTED_ESCAPED = r"'(?:[^'\\]|\\.)*'"  # backslash escapes (SOQL)


class Token(NamedTuple):
    kind: str  # the name of the rule that matched
    text: str


class Tokenizer:
    def __init__(
        self, rules: Sequence[tuple[str, str]], syntax_error: Callable[[str, int], Exception]
    ) -> None:
        """rules: (kind, regex) in priority order; syntax_error(text, position) builds the dialect's error."""
        alternatives = "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in rules)
        self._pattern = re.compile(rf"\s*(?:{alternatives})")
        self._syntax_error = syntax_error

    def tokenize(self, text: str) -> list[Token]:
        tokens, pos = [], 0
        while pos < len(text):
            m = self._pattern.match(text, pos)
            if not m or m.end() == pos:
                raise self._syntax_error(text, pos)
            kind = m.lastgroup or ""
            tokens.append(Token(kind, m.group(kind)))
            pos = m.end()
        return tokens


class TokenStream:
    """The cursor a dialect's recursive-descent parser moves over its tokens."""

    case_sensitive: ClassVar[bool] = False  # keywords in any case (SOQL, SuiteQL) or exactly (OData)

    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0

    def unexpected_end(self) -> Exception:
        """The dialect's error for a query that stops mid-way."""
        raise NotImplementedError

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise self.unexpected_end()
        self.i += 1
        return tok

    def word(self, *words: str) -> bool:
        """Whether the next token is one of these identifiers (given in lower case unless case_sensitive)."""
        tok = self.peek()
        if tok is None or tok.kind != "ident":
            return False
        return (tok.text if self.case_sensitive else tok.text.lower()) in words
