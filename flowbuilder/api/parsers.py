"""The API's JSON parser: DRF's, with the limits every stored document needs (``core.json_input``).

One parser for every endpoint that takes a JSON document (flows, drafts, runs, connections, templates):
a NUL character or nesting past the limit answers 400 naming the field, never a 500 from PostgreSQL or
Python's recursion limit.
"""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from flowbuilder.core import json_input


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError as exc:
            raise ParseError(f"The body is not {encoding} text: {exc}.") from exc
        return json_input.loads(text, field="")
