from __future__ import annotations

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbuilder.nodes.registry import load_registry
from flowbuilder.validation.document_schema import DOCUMENT_SCHEMA
from flowbuilder.validation.fast_schema import compile_checker

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.sampled_from(["", "x", "GET", "POST", "append", "asc", "count", "main", "https://a"]),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "url",
                    "method",
                    "fields",
                    "name",
                    "value",
                    "mode",
                    "rules",
                    "condition",
                    "batch_size",
                    "op",
                    "as",
                    "aggregations",
                    "keep_other_fields",
                    "key_fields",
                    "x",
                    "y",
                    "id",
                    "type",
                ]
            ),
            c,
            max_size=4,
        )
    ),
    max_leaves=10,
)

# Connector actions declare richer schemas (patterns, formats) that fall back to jsonschema; the
# built-in nodes and the document schema are the hot path and must compile to the fast checker.
CONNECTOR_CATEGORIES = {"CRM", "PSA", "ERP", "Generic"}
BUILTIN_SCHEMAS = [cls.config_schema for cls in load_registry() if cls.category not in CONNECTOR_CATEGORIES]
SCHEMAS = BUILTIN_SCHEMAS + [DOCUMENT_SCHEMA]
FALLBACK_SCHEMAS = [cls.config_schema for cls in load_registry() if cls.category in CONNECTOR_CATEGORIES]


@pytest.mark.parametrize(
    "schema", SCHEMAS, ids=lambda s: s.get("title") or str(sorted(s.get("properties", {})))[:40]
)
def test_builtin_schemas_compile(schema):
    assert compile_checker(schema) is not None


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(range(len(SCHEMAS))), json_values)
def test_fast_checker_agrees_with_jsonschema(index, value):
    schema = SCHEMAS[index]
    assert compile_checker(schema)(value) == jsonschema.Draft202012Validator(schema).is_valid(value)


def test_unsupported_keywords_fall_back():
    assert compile_checker({"type": "string", "pattern": "^a"}) is None
    assert compile_checker({"$ref": "#/x"}) is None
    assert compile_checker({"type": "array", "uniqueItems": True}) is None


def test_bool_is_not_a_number_and_integer_accepts_whole_floats():
    check = compile_checker({"type": "object", "properties": {"n": {"type": "integer"}, "e": {"enum": [1]}}})
    assert check({"n": 2.0}) and not check({"n": True}) and not check({"e": True}) and check({"e": 1})
