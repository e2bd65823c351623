"""Shared pieces of the viewsets: tenant-restricted querysets and the organisation filter."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError

from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import restrict

# The ?organisation= filter of the list operations (RestrictedQuerysetMixin reads it, not a filterset).
ORGANISATION_PARAMETER = OpenApiParameter(
    "organisation",
    OpenApiTypes.INT,
    description="Only objects of this organisation (one the user can see; others give an empty list).",
)


class RestrictedQuerysetMixin:
    """Every queryset is scoped to what the user may view; others' ids are simply not found."""

    base_queryset: Any = None

    def get_queryset(self):
        qs = restrict(self.base_queryset.all(), self.request.user, "view")
        org = self.request.query_params.get("organisation")
        if org:
            try:
                qs = qs.filter(**{self._org_lookup(): int(org)})
            except ValueError as exc:
                raise ValidationError({"organisation": ["must be an integer id"]}) from exc
        return qs

    def _org_lookup(self) -> str:
        return getattr(self.base_queryset.model, "tenant_field", "organisation") + "_id"


def visible_flows(request: Any) -> Any:
    """Flows the user can see, for ``?flow=`` filters: another tenant's flow id is "not a valid choice",
    like an unknown id."""
    from flowbuilder.flows.models import Flow

    return restrict(Flow.objects.all(), getattr(request, "user", None))


def organisation_for(user: Any, org_id: Any) -> Organisation:
    """The organisation a create targets, if the user can see it (else 404, like any other id)."""
    org = restrict(Organisation.objects.all(), user, "view").filter(pk=org_id).first()
    if org is None:
        message = "No such organisation."
        raise NotFound({"detail": message, "errors": {"organisation": [message]}})
    return org
