"""``access`` and ``share`` on a shareable resource's viewset (flows, connections): tenancy.sharing."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from flowbuilder.api.serializers.sharing import AccessShape, ShareSerializer, ShareTargetSerializer
from flowbuilder.tenancy import sharing
from flowbuilder.tenancy.permissions import can
from flowbuilder.tenancy.roles import Action


def _access(request, obj) -> dict:
    data = sharing.access(obj)
    org = obj.organisation
    data["candidates"] = (
        sharing.share_candidates(request.user, obj) if can(request.user, Action.ADMIN, org) else []
    )
    return data


def _recipient(obj, data: dict) -> sharing.Recipient:
    return sharing.recipient(
        obj, user_id=data.get("user"), role=data.get("role") or "", organisation_id=data.get("organisation")
    )


class SharingActionsMixin:
    """``GET <detail>/access/``: who may act on it and why; ``POST <detail>/share/`` and ``.../unshare/``:
    share with a user or a role, or take a share back (admins of its organisation)."""

    @extend_schema(responses=AccessShape, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)
    def access(self, request, pk=None):
        return Response(_access(request, self.get_object()))

    @extend_schema(request=ShareSerializer, responses=AccessShape)
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        obj = self.get_object()
        data = ShareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sharing.share(
            actor=request.user,
            obj=obj,
            who=_recipient(obj, data.validated_data),
            permissions=data.validated_data["permissions"],
        )
        return Response(_access(request, obj))

    @extend_schema(request=ShareTargetSerializer, responses=AccessShape)
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        obj = self.get_object()
        data = ShareTargetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sharing.unshare(actor=request.user, obj=obj, who=_recipient(obj, data.validated_data))
        return Response(_access(request, obj))
