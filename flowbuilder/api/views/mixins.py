"""Shared pieces of the viewsets: tenant-restricted querysets, the ``?organisation=`` filter and id params.

``?organisation=`` is parsed in one place (``OrganisationFilter``, a filter backend): it filters every
list, detail and custom action of a view the same way, and declares the parameter in the OpenAPI schema
of each list operation, so no view parses it or annotates it by hand.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request
from rest_framework.settings import api_settings

from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import restrict


def id_param(request: Request, name: str) -> int | None:
    """The integer id in query parameter ``name`` (None when absent or blank); 400 naming it otherwise."""
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise ValidationError({name: ["must be an integer id"]}) from exc


class OrganisationFilter(BaseFilterBackend):
    """``?organisation=<id>``: only objects of that organisation (one the user cannot see: nothing).

    The lookup is the view's ``organisation_lookup``, else the model's ``tenant_field`` + ``_id``, else
    ``organisation_id``."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        org = id_param(request, "organisation")
        if org is None:
            return queryset
        return queryset.filter(**{organisation_lookup(view, queryset): org})

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "organisation",
                "required": False,
                "in": "query",
                "description": "Only objects of this organisation (one the user can see; others give an "
                "empty list).",
                "schema": {"type": "integer"},
            }
        ]


def organisation_lookup(view: Any, queryset: QuerySet) -> str:
    lookup = getattr(view, "organisation_lookup", None)
    if lookup:
        return lookup
    return getattr(queryset.model, "tenant_field", "organisation") + "_id"


# The project's filter backends (django-filter, search, ordering) plus the organisation filter.
FILTER_BACKENDS = [*api_settings.DEFAULT_FILTER_BACKENDS, OrganisationFilter]


class RestrictedQuerysetMixin:
    """Every queryset is scoped to what the user may view; others' ids are simply not found."""

    base_queryset: Any = None
    filter_backends = FILTER_BACKENDS

    def get_queryset(self):
        return restrict(self.base_queryset.all(), self.request.user, "view")

    def get_object(self):
        # The permission check loaded (and checked) the object just before the handler runs: the
        # handler's first get_object takes it instead of reading it again; later calls read afresh.
        checked = self.__dict__.pop("checked_object", None)
        return checked if checked is not None else super().get_object()


def visible_flows(request: Any) -> Any:
    """Flows the user can see, for ``?flow=`` filters: another tenant's flow id is "not a valid choice",
    like an unknown id."""
    from flowbuilder.flows.models import Flow

    # Only the id: the filter needs the flow to exist and be visible, not its documents.
    return restrict(Flow.objects.only("id", "organisation_id"), getattr(request, "user", None))


def organisation_for(user: Any, org_id: Any) -> Organisation:
    """The organisation a create targets, if the user can see it (else 404, like any other id)."""
    org = restrict(Organisation.objects.all(), user, "view").filter(pk=org_id).first()
    if org is None:
        message = "No such organisation."
        raise NotFound({"detail": message, "errors": {"organisation": [message]}})
    return org
