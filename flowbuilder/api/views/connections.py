"""Connections (secrets write-only) and the connector registry the connection form is built from."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response

from flowbuilder.api.serializers.connections import (
    ConnectionAuthorizeSerializer,
    ConnectionCreateSerializer,
    ConnectionSerializer,
    ConnectionTestSerializer,
    ConnectionUpdateSerializer,
    ConnectorShape,
)
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.credentials import actions, connect
from flowbuilder.credentials.models import Connection

from .mixins import RestrictedQuerysetMixin, organisation_for
from .sharing import SharingActionsMixin


@extend_schema_view(
    partial_update=extend_schema(request=ConnectionUpdateSerializer, responses=ConnectionSerializer),
)
class ConnectionViewSet(RestrictedQuerysetMixin, SharingActionsMixin, viewsets.ModelViewSet):
    base_queryset = Connection.objects.select_related("created_by")
    serializer_class = ConnectionSerializer
    filterset_fields = ["connector", "environment", "credential_type"]
    search_fields = ["name", "base_url"]
    ordering_fields = ["name", "updated_at", "created_at"]

    @extend_schema(request=ConnectionCreateSerializer, responses={201: ConnectionSerializer, 404: ErrorShape})
    def create(self, request, *args, **kwargs):
        data = ConnectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        org = organisation_for(request.user, values.pop("organisation"))
        connection = actions.create_connection(actor=request.user, organisation=org, **values)
        return Response(ConnectionSerializer(connection).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConnectionUpdateSerializer, responses=ConnectionSerializer)
    def update(self, request, *args, **kwargs):
        data = ConnectionUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        connection = actions.update_connection(
            actor=request.user, connection=self.get_object(), **data.validated_data
        )
        return Response(ConnectionSerializer(connection).data)

    def destroy(self, request, *args, **kwargs):
        actions.delete_connection(actor=request.user, connection=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ConnectionTestSerializer)
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        result = actions.test_connection(actor=request.user, connection=self.get_object())
        return Response(ConnectionTestSerializer(result.as_dict()).data)

    @extend_schema(request=None, responses={200: ConnectionAuthorizeSerializer, 400: ErrorShape})
    @action(detail=True, methods=["post"])
    def authorize(self, request, pk=None):
        """Connect: start the OAuth consent. The answer's ``authorize_url`` is where the browser goes; the
        system sends it back to ``/oauth/callback/``, which stores the tokens and returns to the SPA."""
        started = connect.start_authorization(
            actor=request.user,
            connection=self.get_object(),
            redirect_uri=request.build_absolute_uri(reverse("oauth-callback")),
        )
        return Response(
            ConnectionAuthorizeSerializer(
                {"authorize_url": started.authorize_url, "expires_at": started.expires_at}
            ).data
        )


def describe_connector(connector) -> dict:
    data = connector.describe()
    for described, ctype in zip(data["credential_types"], connector.credential_types, strict=True):
        described["secret_fields"] = ctype.secret_fields()
    return data


@extend_schema(responses=ConnectorShape(many=True))
@api_view(["GET"])
def connectors(request):
    """The connector registry: key, name, category, icon, credential types (JSON Schemas, secret fields
    marked ``writeOnly`` and listed in ``secret_fields``), config schema, actions and triggers."""
    from connectors.registry import load_connectors

    return Response([describe_connector(c) for c in load_connectors()])
