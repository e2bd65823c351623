from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.api.serializers.tenancy import (
    BrandingSerializer,
    CustomerCreateSerializer,
    CustomerOverviewShape,
    InviteSerializer,
    LoginSerializer,
    MembershipSerializer,
    MembershipWriteSerializer,
    MeSerializer,
    OrganisationSerializer,
)
from flowbuilder.tenancy import actions
from flowbuilder.tenancy.actions import sign_in, sign_out
from flowbuilder.tenancy.models import Membership, Organisation

from .mixins import RestrictedQuerysetMixin, organisation_for


class OrganisationViewSet(RestrictedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    base_queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    search_fields = ["name"]

    organisation_lookup = "id"

    @extend_schema(
        methods=["GET"],
        responses=BrandingSerializer,
        description="The partner's branding; `{}` while it has none.",
    )
    @extend_schema(methods=["PUT"], request=BrandingSerializer, responses=BrandingSerializer)
    @action(detail=True, methods=["get", "put"])
    def branding(self, request, pk=None):
        """The partner's white label (GET: anyone in the partner or its customers; PUT: its admins)."""
        org = self.get_object()
        partner = org if org.parent_id is None else org.parent
        if request.method == "GET":
            branding = getattr(partner, "branding", None)
            return Response(BrandingSerializer(branding).data if branding else {})
        data = BrandingSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        branding = actions.set_branding(actor=request.user, partner=org, **data.validated_data)
        return Response(BrandingSerializer(branding).data)

    @extend_schema(responses=CustomerOverviewShape(many=True), filters=False)
    @action(detail=True, methods=["get"], pagination_class=None)  # a plain list
    def overview(self, request, pk=None):
        """A partner's customers with their flows, runs of the last 24 hours and health."""
        from flowbuilder.observability.overview import partner_overview

        return Response(partner_overview(request.user, self.get_object()))

    @extend_schema(request=InviteSerializer, responses={201: MembershipSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Invite someone by e-mail with a role; they get a branded link to set their password."""
        from flowbuilder.tenancy.branding import brand_for

        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = actions.invite_user(
            actor=request.user,
            organisation=self.get_object(),
            request=request,
            brand=brand_for(request),
            **data.validated_data,
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerCreateSerializer, responses={201: OrganisationSerializer})
    @action(detail=True, methods=["post"])
    def customers(self, request, pk=None):
        data = CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = actions.create_customer(
            actor=request.user, partner=self.get_object(), name=data.validated_data["name"]
        )
        return Response(OrganisationSerializer(org).data, status=status.HTTP_201_CREATED)


class MembershipViewSet(
    RestrictedQuerysetMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    base_queryset = Membership.objects.select_related("user", "organisation")
    serializer_class = MembershipSerializer

    @extend_schema(request=MembershipWriteSerializer, responses={201: MembershipSerializer, 404: ErrorShape})
    def create(self, request):
        data = MembershipWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = organisation_for(request.user, data.validated_data["organisation"])
        membership = actions.set_membership(
            actor=request.user,
            organisation=org,
            username=data.validated_data["username"],
            role=data.validated_data["role"],
        )
        return Response(MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        actions.remove_membership(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    return Response(MeSerializer(request.user).data)


@extend_schema(request=LoginSerializer, responses=MeSerializer)
@api_view(["POST"])
@permission_classes([permissions.AllowAny])
def login_view(request):
    data = LoginSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(request, **data.validated_data)
    if user is None:
        raise ValidationError({"password": ["Wrong username or password."]})
    sign_in(request, user=user)
    return Response(MeSerializer(user).data)


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def logout_view(request):
    sign_out(request)
    return Response(status=status.HTTP_204_NO_CONTENT)
