"""Parked nodes: the signed URL that resumes a waiting node, and resuming it.

A node that waits for an outside system (the wait node in callback mode) is resumed by a call to
``/hooks/resume/<token>/``. The token is signed (Django's signing with its own salt) and names the run and
the node, so it needs no table; it works only while that node waits, so it is single-use in effect.
Resuming stores what arrived on the node and wakes the run through the sweeper's due path.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models.functions import Now

from flowbuilder.core.errors import InvalidInputError

from . import dispatch
from .models import NodeRun, NodeStatus, Run, RunStatus

SALT = "flowbuilder.execution.resume"


class ResumeRefused(Exception):
    """The token is unknown, or its node no longer waits (already resumed, run over): 404 or 409."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.gone = gone


def resume_token(run_id: int, node_id: str) -> str:
    return signing.dumps([run_id, node_id], salt=SALT, compress=True)


def resume_url(run_id: int, node_id: str) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}/hooks/resume/{resume_token(run_id, node_id)}/"


def resume_by_token(token: str, payload: Any) -> tuple[int, str]:
    """Resume the waiting node named by ``token`` with ``payload``; returns (run id, node id)."""
    try:
        run_id, node_id = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise ResumeRefused("No waiting step listens at this URL.") from exc
    resume_node(run_id=int(run_id), node_id=str(node_id), payload={"reason": "callback", "body": payload})
    return int(run_id), str(node_id)


def resume_node(*, run_id: int, node_id: str, payload: dict[str, Any]) -> None:
    """Hand ``payload`` to a waiting node and make its run due now (one transaction; the sweeper or the
    doorbell below starts it). Refused if the node does not wait (any more)."""
    if not isinstance(payload, dict):
        raise InvalidInputError("A resume payload is a JSON object.", field="payload")
    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            raise ResumeRefused("No waiting step listens at this URL.")
        updated = NodeRun.objects.filter(
            run_id=run_id, node_id=node_id, status=NodeStatus.WAITING, resume_payload__isnull=True
        ).update(resume_payload=payload, next_attempt_at=Now())
        if not updated or run.status not in (RunStatus.WAITING, RunStatus.RUNNING):
            raise ResumeRefused(
                "This step is not waiting any more (it was resumed, or its run ended).", gone=True
            )
        Run.objects.filter(pk=run_id).update(wake_at=Now())
        dispatch.after_commit(lambda: dispatch.advance_run(run_id))
