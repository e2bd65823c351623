"""Template parameters that several templates must set alike in one customer: the field owners of a
two-way sync.

Customer master sync runs as two flows per stack (the CRM side and the ERP side), each with a table of
which system owns each field. If the tables disagree, both flows write a field and each write starts the
other flow: the two systems overwrite each other without end. So a value parameter may declare a
``shared`` key, the same in every template that must agree::

    {"name": "owner_billing_address", "kind": "value", "pointer": "/nodes/owners/config/fields/3/value",
     "shared": "customer_master_owners_salesforce_netsuite"}

Within one customer, every template copy whose parameter has the same name and ``shared`` key must hold
the same value. Values are read from the flows' documents at the parameter's pointer (what the flow does,
so an edit in the flow editor counts as much as a parameter value); the other copies are read from their
drafts, so a change made in both drafts can be published one flow after the other. A disagreement
refuses the clone, the rollout and the publish, naming the field, both templates, both values and what
to do (:func:`disagreements`, :func:`findings_before_publish`). While the flow is edited the same
disagreement is a warning on the node that holds the value (:func:`findings_while_editing`: the draft
save, the validate endpoint and the flow page carry it), so the analyst learns of it before Publish.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Q

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.tenancy.permissions import can
from flowbuilder.tenancy.roles import Action
from flowbuilder.validation.findings import Finding

from .graph_diff import MISSING, get_at, split

SHARED_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class Disagreement:
    """One shared parameter whose value differs from another copy's in the same customer."""

    name: str
    ours: Any
    theirs: Any
    template: str
    other_template: str
    other_flow: str
    node_id: str
    field: str | None = None
    other_flow_id: int | None = None

    @property
    def message(self) -> str:
        return (
            f"{self.name} is {self.ours!r} in {self.template!r} but {self.theirs!r} in "
            f"{self.other_template!r} (flow {self.other_flow!r}) of this customer: both flows would write "
            f"this field and each write would start the other flow. Set {self.name} to the same value in "
            f"both (node {self.node_id!r}), then publish both flows."
        )

    @property
    def message_without_other_flow(self) -> str:
        """The message for someone who may not open the other flow: its name and value are not theirs."""
        return (
            f"{self.name} is {self.ours!r} here, but another flow of this customer, which you cannot open, "
            f"sets it otherwise: both flows would write this field and each write would start the other "
            f"flow. Ask someone who can open both flows to set {self.name} alike (node {self.node_id!r}); "
            f"publishing is refused until then."
        )


def check_declaration(spec: Any, where: str) -> str:
    """The ``shared`` key of a value parameter; InvalidInputError naming the field."""
    if not isinstance(spec, str) or not SHARED_KEY.match(spec):
        raise InvalidInputError(
            "shared is a key (lower-case letters, digits, _ . -) that every template which must agree "
            "on this parameter declares.",
            field=f"{where}.shared",
        )
    return spec


def _shared(parameters: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    return {
        p["name"]: p
        for p in parameters or []
        if p.get("kind") == "value" and p.get("shared") and p.get("pointer")
    }


def disagreements(
    organisation_id: int,
    template_name: str,
    parameters: list[dict[str, Any]],
    document: dict[str, Any],
    *,
    exclude_flow: int | None = None,
) -> list[Disagreement]:
    """Where ``document`` (a copy of the template ``template_name`` in the customer) holds another value
    for a shared parameter than another copy in the same customer; ``exclude_flow``: the copy's own flow."""
    from .models import TemplateInstance

    ours = _shared(parameters)
    if not ours:
        return []
    found: list[Disagreement] = []
    # One query, the columns compared only: the editor asks on every draft save, and a copy's row also
    # holds its rendered and previous documents, the template version's document.
    others = (
        TemplateInstance.objects.filter(customer_id=organisation_id)
        .exclude(flow_id=exclude_flow)
        .select_related("template", "flow", "based_on")
        .only(
            "template",
            "flow",
            "based_on",
            "template__name",
            "flow__name",
            "flow__draft_document",
            "based_on__parameters",
        )
        .order_by("pk")
    )
    if connection.vendor == "postgresql":  # skip copies of templates that share none of these keys
        pairs = Q()
        for name, p in ours.items():
            pairs |= Q(based_on__parameters__contains=[{"name": name, "shared": p["shared"]}])
        others = others.filter(pairs)
    for other in others:
        theirs = _shared(other.based_on.parameters)
        for name, p in ours.items():
            q = theirs.get(name)
            if q is None or q["shared"] != p["shared"]:
                continue
            mine, their = get_at(document, p["pointer"]), get_at(other.flow.draft_document, q["pointer"])
            if mine is MISSING or their is MISSING or mine == their:
                continue
            found.append(
                Disagreement(
                    name=name,
                    ours=mine,
                    theirs=their,
                    template=template_name,
                    other_template=other.template.name,
                    other_flow=other.flow.name,
                    other_flow_id=other.flow_id,
                    node_id=split(p["pointer"])[1],
                    field=".".join(split(p["pointer"])[3:]) or None,
                )
            )
    return found


def as_errors(found: list[Disagreement]) -> dict[str, list[str]]:
    """Messages by parameter name (the shape of a clone's or a rollout's ``errors``)."""
    errors: dict[str, list[str]] = {}
    for d in found:
        errors.setdefault(d.name, []).append(d.message)
    return errors


def _findings(flow: Any, document: dict[str, Any], severity: str, viewer: Any = None) -> list[dict[str, Any]]:
    from .models import Flow, TemplateInstance

    instance = (
        TemplateInstance.objects.filter(flow=flow)
        .select_related("template", "based_on")
        .only("template", "based_on", "template__name", "based_on__parameters")
        .first()
    )
    if instance is None or not _shared(instance.based_on.parameters):
        return []
    found = disagreements(
        flow.organisation_id,
        instance.template.name,
        instance.based_on.parameters,
        document,
        exclude_flow=flow.pk,
    )
    visible: set[int | None] = {d.other_flow_id for d in found}
    if viewer is not None and found:
        # A user may open this flow through a share without seeing its customer's other flows.
        others = Flow.objects.filter(pk__in=[d.other_flow_id for d in found]).only("id", "organisation_id")
        visible = {other.pk for other in others if can(viewer, Action.VIEW, other)}
    return [
        Finding(
            "shared_parameter_disagrees",
            d.message if d.other_flow_id in visible else d.message_without_other_flow,
            node_id=d.node_id,
            field=d.field,
            severity=severity,
        ).as_dict()
        for d in found
    ]


def findings_before_publish(flow: Any, document: dict[str, Any], viewer: Any = None) -> list[dict[str, Any]]:
    """Error findings for a template copy about to publish with other shared values than the customer's
    other copies hold (each on the node that holds the value); publishing refuses them. With a ``viewer``
    (an approver's page) the other flow is named only to someone who may open it."""
    return _findings(flow, document, "error", viewer)


def findings_while_editing(flow: Any, document: dict[str, Any], viewer: Any = None) -> list[dict[str, Any]]:
    """The same disagreements as warnings, for the editor's live validation of ``flow``'s draft
    ``document``: the draft still saves and test-runs; only the publish is refused. Two queries for a
    template copy (its template version, the customer's other copies), one for any other flow. For a
    ``viewer`` who may not open the other flow, the warning names neither it nor its value."""
    return _findings(flow, document, "warning", viewer)
