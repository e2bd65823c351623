from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from flowbuilder.api.serializers.reviews import GovernanceSerializer
from flowbuilder.api.serializers.shapes import ErrorShape
from flowbuilder.api.serializers.sso import SSOSettingsSerializer
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
from flowbuilder.api.serializers.users import MembershipRoleSerializer
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

    @extend_schema(methods=["GET"], responses={200: SSOSettingsSerializer, 404: ErrorShape})
    @extend_schema(methods=["PUT"], request=SSOSettingsSerializer, responses=SSOSettingsSerializer)
    @extend_schema(methods=["DELETE"], request=None, responses={204: None})
    @action(detail=True, methods=["get", "put", "delete"])
    def sso(self, request, pk=None):
        """The organisation's OpenID Connect single sign-on (its admins and its partner's)."""
        from django.urls import reverse

        from flowbuilder.identity import actions as identity
        from flowbuilder.identity.models import OrganisationSSO

        org = self.get_object()
        if request.method == "DELETE":
            identity.remove_sso(actor=request.user, organisation=org)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if request.method == "PUT":
            data = SSOSettingsSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            config = identity.set_sso(actor=request.user, organisation=org, **data.validated_data)
        else:
            config = OrganisationSSO.objects.filter(organisation=org).first()
            if config is None:
                raise NotFound("This organisation has no single sign-on.")
        body = {
            **identity.public_settings(config),
            "callback_url": request.build_absolute_uri(reverse("sso-callback")),
        }
        return Response(SSOSettingsSerializer(body).data)

    @extend_schema(methods=["GET"], responses=GovernanceSerializer)
    @extend_schema(
        methods=["PUT"], request=GovernanceSerializer, responses={200: GovernanceSerializer, 400: ErrorShape}
    )
    @action(detail=True, methods=["get", "put"])
    def governance(self, request, pk=None):
        """Four-eyes publishing and audit retention. A partner's approval rule applies to all its
        customers (``approval_required`` says what applies, ``approval_source`` who set it)."""
        org = self.get_object()
        if request.method == "PUT":
            data = GovernanceSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            org = actions.set_governance(actor=request.user, organisation=org, **data.validated_data)
        return Response(GovernanceSerializer(org).data)

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

    @extend_schema(request=MembershipRoleSerializer, responses=MembershipSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change the member's role in this organisation."""
        membership = self.get_object()
        data = MembershipRoleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = actions.change_role(
            actor=request.user, membership=membership, role=data.validated_data["role"]
        )
        return Response(MembershipSerializer(membership).data)

    def destroy(self, request, *args, **kwargs):
        actions.remove_membership(actor=request.user, membership=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """The member loses every right here (kept for reactivation); with no active membership left
        anywhere they cannot sign in."""
        membership = actions.deactivate_membership(actor=request.user, membership=self.get_object())
        return Response(MembershipSerializer(membership).data)

    @extend_schema(request=None, responses=MembershipSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        membership = actions.reactivate_membership(actor=request.user, membership=self.get_object())
        return Response(MembershipSerializer(membership).data)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    return Response(MeSerializer(request.user).data)


@extend_schema(
    request=LoginSerializer, responses={200: MeSerializer, 400: ErrorShape, 403: ErrorShape, 429: ErrorShape}
)
@api_view(["POST"])
def login_view(request):
    """Sign in with a username and password. Repeated failures lock the account and the address for a
    while (429 saying until when); members of an SSO-only organisation are told to use single sign-on."""
    data = LoginSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    # The Django request: login protection notes its findings there (axes' middleware answers 429).
    user = authenticate(request._request, **data.validated_data)
    if user is None:
        refused = getattr(request._request, "fb_sign_in_refused", "")
        if refused:
            raise PermissionDenied(refused)
        raise ValidationError({"password": ["Wrong username or password."]})
    sign_in(request, user=user)
    return Response(MeSerializer(user).data)


@extend_schema(request=None, responses={204: None})
@api_view(["POST"])
def logout_view(request):
    sign_out(request)
    return Response(status=status.HTTP_204_NO_CONTENT)
