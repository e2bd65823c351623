"""One exception handler: domain errors become 4xx with the field at fault; nothing becomes a 500."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from flowbuilder.core.errors import ConflictError, FlowbuilderError, InvalidInputError, PermissionDeniedError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    from flowbuilder.flows.actions import FlowInvalidError

    if isinstance(exc, FlowInvalidError):
        return Response({"detail": exc.message, "findings": exc.findings}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        body: dict[str, Any] = {"detail": exc.message}
        current = getattr(exc, "current", None)
        if current is not None:
            body.update(
                saved_by=current.draft_saved_by.get_username() if current.draft_saved_by else None,
                saved_at=current.draft_saved_at,
                revision=current.draft_revision,
            )
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PermissionDeniedError):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, InvalidInputError | FlowbuilderError):
        body = {"detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        if exc.hint:
            body["hint"] = exc.hint
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ObjectDoesNotExist):
        exc = Http404()
    if isinstance(exc, RecursionError):
        # Python's JSON decoder recurses per nesting level: a body like "[[[[..." ends here.
        exc = ParseError("The JSON body is nested too deeply.")
    if isinstance(exc, RequestDataTooBig):
        message = f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        return Response(
            {"detail": message, "errors": {"body": [message]}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        # Serializer errors: keep the per-field lists and add a readable summary.
        fields = ", ".join(response.data)
        response.data = {"detail": f"Invalid input: {fields}.", "errors": response.data}
    return response
