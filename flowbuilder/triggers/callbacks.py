"""Callbacks that resume a waiting run: ``POST /hooks/resume/<token>/`` (the wait node's resume URL)."""

from __future__ import annotations

import json
from typing import Any

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError
from flowbuilder.execution import waits
from flowbuilder.execution.models import Run

from .webhooks import MAX_BODY_BYTES

Answer = tuple[int, dict[str, Any]]


def parse_callback(body: bytes, content_type: str) -> Any:
    """The callback's body as JSON (an object, list or scalar) or, for other content types, as text."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInputError("The body is larger than 5 MB.", field="body")
    if not body.strip():
        return {}
    if content_type and "json" not in content_type:
        return body.decode("utf-8", "replace")
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidInputError(f"The body is not valid JSON: {exc}.", field="body") from exc


def resume_from_callback(token: str, body: bytes, content_type: str) -> Answer:
    """Resume the waiting step named by ``token``; 202 with the run, 404 for an unknown URL, 409 if the
    step no longer waits (each resume URL works once)."""
    try:
        payload = parse_callback(body, content_type)
        run_id, node_id = waits.resume_by_token(token, payload)
    except InvalidInputError as exc:
        return 400, {"detail": exc.message, "errors": {exc.field or "body": [exc.message]}}
    except waits.ResumeRefused as exc:
        return (409 if exc.gone else 404), {"detail": exc.message}
    organisation_id = Run.objects.filter(pk=run_id).values_list("organisation_id", flat=True).first()
    record(
        AuditAction.RUN_RESUME,
        actor="callback",
        organisation=organisation_id,
        object_type="execution.run",
        object_id=run_id,
        after={"node_id": node_id},
    )
    return 202, {
        "run_id": run_id,
        "node_id": node_id,
        "status": "resumed",
        "status_url": f"/api/runs/{run_id}/",
    }
