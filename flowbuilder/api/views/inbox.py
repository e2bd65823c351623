"""The failure inbox: groups, failures with assign/comment/snooze/resolve, and bulk batches (revalidation
and its "replay passing" included).

Thin: querysets restricted to the user, serializers, one ``observability.inbox_actions`` call per
mutation. Bulk actions run in a Celery task; the batch row is polled for progress.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.inbox import (
    AssignSerializer,
    BatchSerializer,
    CommentSerializer,
    FailureSerializer,
    InboxShape,
    SnoozeSerializer,
)
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.execution.models import FailureCategory, FailureKind, FailureRecord
from flowbuilder.observability import inbox, inbox_actions
from flowbuilder.observability.inbox_models import FailureComment, InboxBatch
from flowbuilder.tenancy.models import Organisation, OrganisationKind
from flowbuilder.tenancy.permissions import organisation_ids_for

from .mixins import RestrictedQuerysetMixin, id_param, organisation_for

FILTER_PARAMS = [
    OpenApiParameter("state", str, enum=list(inbox.STATES), description="open (default), snoozed, ..."),
    OpenApiParameter("category", str, enum=list(FailureCategory.values)),
    OpenApiParameter("kind", str, enum=list(FailureKind.values)),
    OpenApiParameter("flow", int),
    OpenApiParameter("node", str),
    OpenApiParameter("customer", int, description="A partner's customer."),
    OpenApiParameter("group", str, description="A group key from /api/inbox/."),
]


def scope_ids(request: Any, org: Organisation) -> list[int]:
    """A customer's own id; for a partner, its own and every customer's the user can see."""
    if org.kind != OrganisationKind.PARTNER:
        return [org.pk]
    visible = organisation_ids_for(request.user, "view")
    customers = Organisation.objects.filter(parent=org, pk__in=visible).values_list("id", flat=True)
    return [org.pk, *customers]


def inbox_filters(params: Any, request: Any) -> dict[str, Any]:
    """The inbox's filters from query parameters (or a bulk request's body); 400 naming a bad one."""
    state = params.get("state") or "open"
    if state not in inbox.STATES:
        raise ValidationError({"state": [f"Must be one of {', '.join(inbox.STATES)}."]})
    category = params.get("category") or ""
    if category and category not in FailureCategory.values:
        raise ValidationError({"category": ["Unknown category."]})
    kind = params.get("kind") or ""
    if kind and kind not in FailureKind.values:
        raise ValidationError({"kind": ["Must be run or item."]})
    group = params.get("group") or ""
    if group:
        try:
            inbox.group_lookup(group)
        except ValueError as exc:
            raise ValidationError({"group": [str(exc)]}) from exc
    return {
        "state": state,
        "category": category,
        "kind": kind,
        "flow": id_param(request, "flow") if params is request.query_params else params.get("flow"),
        "node": (params.get("node") or "")[:100],
        "customer": id_param(request, "customer")
        if params is request.query_params
        else params.get("customer"),
        "group": group,
    }


@extend_schema(
    parameters=[
        OpenApiParameter(
            "organisation", int, required=True, description="A customer, or a partner (all its customers)."
        ),
        OpenApiParameter("group_by", str, enum=list(inbox.GROUP_BY)),
        *FILTER_PARAMS,
    ],
    responses={200: InboxShape, 400: ErrorShape, 404: ErrorShape},
)
@api_view(["GET"])
def inbox_groups(request):
    """Failures grouped by cause category (or flow, node, customer), each with what to do next."""
    org_id = id_param(request, "organisation")
    if org_id is None:
        raise ValidationError({"organisation": ["This parameter is required."]})
    org = organisation_for(request.user, org_id)
    by = request.query_params.get("group_by") or "category"
    if by not in inbox.GROUP_BY:
        raise ValidationError({"group_by": [f"Must be one of {', '.join(inbox.GROUP_BY)}."]})
    filters = inbox_filters(request.query_params, request)
    return Response(inbox.groups(scope_ids(request, org), by=by, **filters))


@extend_schema(parameters=FILTER_PARAMS)
class FailureViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Failed runs and failed items, newest first; ``?organisation=`` of a partner covers its customers."""

    base_queryset = FailureRecord.objects.select_related("organisation", "flow", "run", "assignee")
    serializer_class = FailureSerializer
    ordering = ["-id"]

    def get_queryset(self):
        comments = (
            FailureComment.objects.filter(failure=OuterRef("pk"))
            .order_by()
            .values("failure")
            .annotate(n=Count("id"))
            .values("n")
        )
        # A per-row subquery, not a join with GROUP BY: the first page costs its 50 rows, not the table.
        qs = super().get_queryset().annotate(comment_count=Coalesce(Subquery(comments), 0))
        if self.action != "list":
            return qs
        filters = inbox_filters(self.request.query_params, self.request)
        org_id = id_param(self.request, "organisation")
        visible = organisation_ids_for(self.request.user, "view")
        if org_id is not None:
            org = Organisation.objects.filter(pk=org_id).first() if org_id in visible else None
            ids = scope_ids(self.request, org) if org is not None else []
        else:
            ids = sorted(visible)
        return inbox.failures(ids, base=qs, **filters)

    def filter_queryset(self, queryset):
        # ?organisation= is the inbox's scope (a partner: its customers too), applied in get_queryset.
        return queryset.order_by(*self.ordering)

    @extend_schema(request=AssignSerializer, responses={200: FailureSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        failure = inbox_actions.assign_failure(
            actor=request.user, failure=self.get_object(), assignee_id=data.validated_data["assignee"]
        )
        return Response(FailureSerializer(self.get_queryset().get(pk=failure.pk)).data)

    @extend_schema(request=SnoozeSerializer, responses={200: FailureSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        data = SnoozeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        failure = inbox_actions.snooze_failure(
            actor=request.user, failure=self.get_object(), until=data.validated_data["until"]
        )
        return Response(FailureSerializer(self.get_queryset().get(pk=failure.pk)).data)

    @extend_schema(request=None, responses={200: FailureSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        failure = inbox_actions.resolve_failure(actor=request.user, failure=self.get_object())
        return Response(FailureSerializer(self.get_queryset().get(pk=failure.pk)).data)

    @extend_schema(methods=["GET"], request=None, responses=CommentSerializer(many=True), filters=False)
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        failure = self.get_object()
        if request.method == "GET":
            return Response(CommentSerializer(failure.comments.select_related("author"), many=True).data)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = inbox_actions.comment_on_failure(
            actor=request.user, failure=failure, body=data.validated_data["body"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class InboxBatchViewSet(RestrictedQuerysetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Bulk actions on a selection or a whole group; poll a batch for ``done``/``total``."""

    base_queryset = InboxBatch.objects.select_related("actor")
    serializer_class = BatchSerializer
    ordering = ["-id"]

    @extend_schema(responses={201: BatchSerializer, 400: ErrorShape, 404: ErrorShape})
    def create(self, request, *args, **kwargs):
        data = BatchSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        org = organisation_for(request.user, values["organisation_id"])
        ids = scope_ids(request, org)
        if values.get("group"):
            filters = inbox_filters({**request.data, "state": values.get("state", "open")}, request)
            chosen = inbox.failures(ids, **filters)
        else:
            chosen = FailureRecord.objects.filter(organisation_id__in=ids, pk__in=values["failures"])
        failure_ids = list(chosen.values_list("pk", flat=True)[: inbox_actions.MAX_BATCH + 1])
        if values.get("failures") and len(failure_ids) != len(set(values["failures"])):
            raise ValidationError({"failures": ["Some of these failures do not exist here."]})
        batch = inbox_actions.start_batch(
            actor=request.user,
            organisation=org,
            action=values["action"],
            failure_ids=failure_ids,
            target=values.get("target") or "",
        )
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: BatchSerializer, 400: ErrorShape, 404: ErrorShape})
    @action(detail=True, methods=["post"], url_path="replay-passing")
    def replay_passing(self, request, pk=None):
        """Replay the failures this revalidation found passing, on the version it evaluated."""
        batch = inbox_actions.replay_passing(actor=request.user, revalidation=self.get_object())
        batch.refresh_from_db()
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)
