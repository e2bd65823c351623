"""The people of the organisations a user administers (a partner's admins: its customers' too)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.users import UserSerializer
from flowbuilder.identity.actions import unlock_user
from flowbuilder.identity.lockout import locks_for
from flowbuilder.tenancy.models import Membership
from flowbuilder.tenancy.permissions import organisation_ids_for
from flowbuilder.tenancy.roles import Action

from .mixins import FILTER_BACKENDS


def administered(user) -> set[int]:
    return organisation_ids_for(user, Action.ADMIN)


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Members of the organisations the reader administers, with their memberships there only."""

    serializer_class = UserSerializer
    filter_backends = FILTER_BACKENDS
    organisation_lookup = "memberships__organisation_id"
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["username", "last_login", "date_joined"]
    ordering = ["username"]

    def get_queryset(self):
        orgs = administered(self.request.user)
        visible = Membership.objects.filter(organisation_id__in=orgs).select_related(
            "organisation", "deactivated_by"
        )
        return (
            get_user_model()
            .objects.filter(memberships__organisation_id__in=orgs)
            .distinct()
            .prefetch_related(Prefetch("memberships", queryset=visible, to_attr="visible_memberships"))
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._serialize(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._serialize(self.get_object()))

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        """End the person's sign-in lockout now (their failed attempts are cleared); audited."""
        user = self.get_object()
        unlock_user(actor=request.user, user=user)
        return Response(self._serialize(user))

    def _serialize(self, users, many: bool = False):
        people = list(users) if many else [users]
        context = {**self.get_serializer_context(), "locks": locks_for([u.get_username() for u in people])}
        return UserSerializer(users, many=many, context=context).data
