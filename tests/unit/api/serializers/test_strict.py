"""Unknown keys in a request body are refused, naming each key and the fields the endpoint takes."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from flowbuilder.api.serializers.strict import RejectUnknownFields, StrictSerializer


class Line(StrictSerializer):
    item = serializers.CharField()
    quantity = serializers.IntegerField()


class Invoice(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    memo = serializers.CharField(required=False)
    lines = Line(many=True, required=False)


def test_a_known_body_passes():
    s = Invoice(data={"memo": "May", "lines": [{"item": "T", "quantity": 2}]})
    assert s.is_valid(), s.errors
    assert s.validated_data["lines"][0]["quantity"] == 2


def test_an_unknown_key_is_refused_naming_it_and_the_writable_fields():
    s = Invoice(data={"memo": "May", "mmeo": "typo"})
    assert not s.is_valid()
    assert list(s.errors) == ["mmeo"]
    message = str(s.errors["mmeo"][0])
    assert "memo" in message and "lines" in message
    assert "id" not in message.split("expected", 1)[1]  # read-only fields are not offered


def test_a_read_only_field_sent_back_is_ignored_as_before():
    s = Invoice(data={"id": 7, "memo": "May"})
    assert s.is_valid(), s.errors
    assert "id" not in s.validated_data


def test_unknown_keys_in_nested_items_are_refused_too():
    s = Invoice(data={"lines": [{"item": "T", "quantity": 1, "qty": 3}]})
    assert not s.is_valid()
    assert "qty" in s.errors["lines"][0]


def test_the_csrf_token_of_a_browser_form_is_not_an_unknown_field():
    s = Invoice(data={"memo": "May", "csrfmiddlewaretoken": "abc"})
    assert s.is_valid(), s.errors


@pytest.mark.parametrize("body", [[1, 2], "text", None])
def test_a_body_that_is_not_an_object_keeps_drf_s_own_error(body):
    s = Invoice(data=body)
    assert not s.is_valid()
    assert "non_field_errors" in s.errors


def test_every_serializer_of_the_api_is_strict():
    import importlib
    import pkgutil

    import flowbuilder.api.serializers as package
    import flowbuilder.api.urls  # noqa: F401 - every view module and the serializers they define

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = {c for c in subclasses(serializers.Serializer) if c.__module__.startswith("flowbuilder.")}
    assert len(ours) > 100
    loose = sorted(f"{c.__module__}.{c.__qualname__}" for c in ours if not issubclass(c, RejectUnknownFields))
    assert loose == []
