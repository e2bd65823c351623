"""Request bodies name only the fields an endpoint knows: an unknown key is a 400 that names it.

DRF drops unknown keys silently, so a misspelt key (``{"items": [...]}`` for ``input``, ``"nmae"`` for
``name``) changed nothing and said nothing: the caller believed it had set a value. Read-only fields
are known fields: a client may send back what it read (DRF ignores them, as before).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import serializers

# Keys a browser form adds on its own (the browsable API's forms post the CSRF token in the body).
FORM_KEYS = frozenset({"csrfmiddlewaretoken"})


# No class docstrings here: drf-spectacular describes a serializer without one by its bases' docstring.
class RejectUnknownFields:
    # Mixin for a DRF serializer: keys of the body that are not its fields are refused.

    fields: Mapping[str, serializers.Field]

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields and key not in FORM_KEYS)
            if unknown:
                writable = [name for name, field in self.fields.items() if not field.read_only]
                expected = ", ".join(writable) if writable else "no fields"
                message = f"Unknown field; expected {expected}."
                raise serializers.ValidationError({key: [message] for key in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSerializer(RejectUnknownFields, serializers.Serializer):  # every serializer of the API is one
    pass


class StrictModelSerializer(RejectUnknownFields, serializers.ModelSerializer):
    pass
