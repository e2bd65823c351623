"""Find runs by a business key: a value somewhere in the run's input (an opportunity id, an invoice number).

``Opportunity.Id=006A`` matches runs with an input item whose ``Opportunity.Id`` is ``"006A"`` (or the
number, when the value reads as one): JSON containment (``@>``) on PostgreSQL, which the GIN index
``run_input_items_gin`` (jsonb_path_ops) answers. A bare ``006A`` matches any string value (or number)
equal to it anywhere in the input: a text match on the stored JSON, narrowed first by the other filters
(organisation, flow, time range). SQLite, the embedded default, gets the same answers by text matching.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast

MAX_KEY_LENGTH = 200
_PATH = re.compile(r"[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _values(raw: str) -> list[Any]:
    """The JSON values ``raw`` may stand for: the string, and the number when it reads as one."""
    values: list[Any] = [raw]
    if _NUMBER.fullmatch(raw):
        values.append(float(raw) if "." in raw else int(raw))
    return values


def _nest(path: list[str], value: Any) -> dict[str, Any]:
    out: Any = value
    for key in reversed(path):
        out = {key: out}
    return out


def filter_by_business_key(queryset: QuerySet, key: str) -> QuerySet:
    """Runs of ``queryset`` whose input holds ``key`` (``path=value`` or a bare value); see the module."""
    key = key.strip()
    if not key:
        return queryset
    path, sep, value = key.partition("=")
    path, value = path.strip(), value.strip()
    if sep and value and _PATH.fullmatch(path):
        segments = path.split(".")
        if connection.vendor == "postgresql":
            match = Q()
            for v in _values(value):
                match |= Q(input_items__contains=[_nest(segments, v)])
            return queryset.filter(match)
        text = Q()
        for v in _values(value):
            text |= Q(input_items__icontains=f"{json.dumps(segments[-1])}: {json.dumps(v)}")
        return queryset.filter(text)
    text = Cast("input_items", TextField())
    queryset = queryset.annotate(_input_text=text)
    match = Q(_input_text__contains=json.dumps(key, ensure_ascii=False))
    if _NUMBER.fullmatch(key):
        # A number as a whole JSON value: after ": ", "[" or ", " and before ",", "}" or "]".
        match |= Q(_input_text__regex=rf"(: |\[|, ){re.escape(key)}(,|\}}|\])")
    return queryset.filter(match)
