"""Environments: a flow version is promoted dev -> test -> prod, binding each environment's connections.

Off by default (``Organisation.environments_enabled``): an organisation that never turns them on keeps
one live version per flow, as before. On, each promotion makes a new version for the target
environment whose connection references point at that environment's connections, matched by slot (the
connection's name: "Salesforce" in dev binds "Salesforce" in test). Promoting to prod goes through
``publish_flow`` (so four-eyes review applies) and the prod release is ``Flow.published_version``.
Triggers fire only in the environments where a version is released, each with that release's (rebound)
connections: promoting into dev or test runs the publish hooks for that environment (the triggers app
keeps one trigger row, with its own cursor, per environment), :func:`withdraw` takes a dev or test
release down and stops its triggers. Dev and test webhooks listen at ``/hooks/<token>/<environment>/``,
prod at ``/hooks/<token>/`` as before. Every version records the environment it was made for
(``FlowVersion.environment``), so each run shows where it ran. Prod promotion can require a successful
run of the test release.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.credentials.models import Connection
from flowbuilder.planning import build_plan
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from . import hooks
from .actions import publish_flow
from .models import Flow, FlowVersion, Release, VersionState
from .publishing import FlowInvalidError, error_findings, next_number

ORDER = ("dev", "test", "prod")
DEFAULT_NAMES = {"dev": "Development", "test": "Test", "prod": "Production"}
CONNECTION_FIELD = "connection"


def names(organisation: Organisation) -> dict[str, str]:
    """The organisation's labels for its environments (its own where set)."""
    return {**DEFAULT_NAMES, **(organisation.environment_names or {})}


def rebind(document: dict, organisation_id: int, environment: str) -> tuple[dict, dict[str, int]]:
    """``document`` with every node's connection reference pointing at ``environment``'s connection of
    the same slot (name). Raises InvalidInputError naming the slots the environment lacks."""
    doc = copy.deepcopy(document)
    refs = {
        str(n["config"][CONNECTION_FIELD])
        for n in doc.get("nodes", [])
        if isinstance(n.get("config"), dict) and n["config"].get(CONNECTION_FIELD) not in (None, "")
    }
    ids = [int(r) for r in refs if r.isdigit()]
    slots = dict(
        Connection.objects.filter(organisation_id=organisation_id, pk__in=ids).values_list("pk", "name")
    )
    targets = dict(
        Connection.objects.filter(
            organisation_id=organisation_id, environment=environment, name__in=set(slots.values())
        ).values_list("name", "pk")
    )
    missing = sorted({slots[i] for i in ids if i in slots and slots[i] not in targets})
    if missing:
        raise InvalidInputError(
            f"{DEFAULT_NAMES.get(environment, environment)} has no connection for slot(s) "
            f"{', '.join(missing)}: add a connection with the same name there.",
            field="environment",
        )
    bindings: dict[str, int] = {}
    for node in doc.get("nodes", []):
        config = node.get("config")
        ref = str(config.get(CONNECTION_FIELD) or "") if isinstance(config, dict) else ""
        if ref.isdigit() and int(ref) in slots:
            target = targets[slots[int(ref)]]
            config[CONNECTION_FIELD] = type(config[CONNECTION_FIELD])(target)
            bindings[slots[int(ref)]] = target
    return doc, bindings


def release_of(flow: Flow, environment: str) -> Release | None:
    return Release.objects.select_related("version").filter(flow=flow, environment=environment).first()


def set_release(*, actor: Any, flow: Flow, environment: str, version: FlowVersion) -> Release:
    """Point ``environment``'s release of the flow at ``version`` (inside the caller's transaction)."""
    release, _ = Release.objects.update_or_create(
        flow=flow,
        environment=environment,
        defaults={
            "organisation_id": flow.organisation_id,
            "version": version,
            "released_by": actor if getattr(actor, "is_authenticated", False) else None,
            "released_at": timezone.now(),
        },
    )
    return release


def promote(
    *, actor: Any, flow: Flow, environment: str, comment: str = "", assignees: list[int] | None = None
) -> FlowVersion:
    """Promote the flow into ``environment``: the draft into dev, dev's release into test, test's into
    prod, with that environment's connections bound by slot.

    Prod goes through ``publish_flow`` (review where required; triggers follow the published version).
    """
    if not can(actor, "publish", flow):
        raise PermissionDeniedError("You may not publish this flow.")
    org = flow.organisation
    if not org.environments_enabled:
        raise InvalidInputError(
            "This organisation has no environments: publish the flow instead.", field="environment"
        )
    if environment not in ORDER:
        raise InvalidInputError(f"Choose one of {', '.join(ORDER)}.", field="environment")
    position = ORDER.index(environment)
    if position == 0:
        source_doc, source_label = flow.draft_document, "draft"
    else:
        previous = release_of(flow, ORDER[position - 1])
        if previous is None:
            raise InvalidInputError(
                f"Nothing is released in {names(org)[ORDER[position - 1]]} yet: promote there first.",
                field="environment",
            )
        if environment == "prod" and org.prod_requires_test_run:
            if not previous.version.runs.filter(status="succeeded").exists():
                raise InvalidInputError(
                    f"Version {previous.version.number} has no successful run in {names(org)['test']} yet: "
                    "run it there first.",
                    field="environment",
                )
        source_doc, source_label = (
            previous.version.document,
            f"{ORDER[position - 1]} v{previous.version.number}",
        )
    doc, bindings = rebind(source_doc, flow.organisation_id, environment)
    comment = comment or f"promoted from {source_label}"
    if environment == "prod":
        version = publish_flow(actor=actor, flow=flow, comment=comment, document=doc, assignees=assignees)
        _audit(actor, flow, version, environment, source_label, bindings)
        return version
    problems = error_findings(doc)
    if problems:
        raise FlowInvalidError(problems)
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        old = release_of(flow, environment)
        version = FlowVersion.objects.create(
            flow=flow,
            organisation_id=flow.organisation_id,
            number=next_number(flow),
            state=VersionState.PUBLISHED,
            document=doc,
            plan=build_plan(doc).to_dict(),
            comment=comment,
            created_by=actor,
            environment=environment,
        )
        if old is not None and old.version_id != flow.published_version_id:
            FlowVersion.objects.filter(pk=old.version_id).update(state=VersionState.SUPERSEDED)
        set_release(actor=actor, flow=flow, environment=environment, version=version)
        # This environment's triggers follow its new release (its connections are the rebound ones).
        hooks.published(flow=flow, version=version, environment=environment)
        _audit(actor, flow, version, environment, source_label, bindings)
    return version


def withdraw(*, actor: Any, flow: Flow, environment: str) -> None:
    """Take the flow's dev or test release down: its triggers stop; its runs stay. Prod is the
    published version and is not withdrawn here."""
    if not can(actor, "publish", flow):
        raise PermissionDeniedError("You may not publish this flow.")
    if environment not in ORDER[:-1]:
        raise InvalidInputError("Only a dev or test release can be withdrawn.", field="environment")
    with transaction.atomic():
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        release = release_of(flow, environment)
        if release is None:
            raise InvalidInputError(
                f"Nothing is released in {names(flow.organisation)[environment]}.", field="environment"
            )
        if release.version_id != flow.published_version_id:
            FlowVersion.objects.filter(pk=release.version_id).update(state=VersionState.SUPERSEDED)
        release.delete()
        hooks.published(flow=flow, version=None, environment=environment)
        record(
            AuditAction.FLOW_PROMOTE,
            actor=actor,
            organisation=flow.organisation_id,
            obj=flow,
            before={"environment": environment, "version": release.version.number},
            after={"environment": environment, "version": None, "withdrawn": True},
        )


def _audit(
    actor: Any, flow: Flow, version: FlowVersion, environment: str, source: str, bindings: dict
) -> None:
    record(
        AuditAction.FLOW_PROMOTE,
        actor=actor,
        organisation=flow.organisation_id,
        obj=flow,
        after={
            "environment": environment,
            "version": version.number,
            "state": version.state,
            "from": source,
            "bindings": bindings,
        },
    )


def environment_of(version: FlowVersion) -> str | None:
    """The environment a version was made for; None without environments (and for test snapshots)."""
    return version.environment or None
