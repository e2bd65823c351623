from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.tenancy.models import Branding, Membership, Organisation
from flowbuilder.tenancy.roles import Role

from .shapes import MeOrganisationShape, typed
from .strict import StrictModelSerializer, StrictSerializer


class OrganisationSerializer(StrictModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kind", "parent", "created_at"]
        read_only_fields = fields


class CustomerCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)


class MembershipSerializer(StrictModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user = serializers.IntegerField(source="user_id", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "user", "username", "role", "is_active", "created_at"]
        read_only_fields = fields


class MembershipWriteSerializer(StrictSerializer):
    organisation = serializers.IntegerField()
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class InviteSerializer(StrictSerializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(StrictModelSerializer):
    display_name = serializers.SerializerMethodField()
    organisations = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "display_name", "organisations"]
        read_only_fields = fields  # output only

    def get_display_name(self, user) -> str:
        return user.get_full_name() or user.get_username()

    @extend_schema_field(MeOrganisationShape(many=True))
    def get_organisations(self, user) -> list[dict]:
        from flowbuilder.tenancy.permissions import organisation_ids_for
        from flowbuilder.tenancy.roles import ROLE_ACTIONS

        roles = {m.organisation_id: m.role for m in user.memberships.all() if m.is_active}
        orgs = Organisation.objects.filter(id__in=organisation_ids_for(user, "view")).order_by("kind", "name")
        rows = []
        for o in orgs:
            role = roles.get(o.id, "admin")  # no membership: a partner admin's customer
            actions = sorted(ROLE_ACTIONS.get(role, ()))
            rows.append({"id": o.id, "name": o.name, "kind": o.kind, "parent": o.parent_id, "role": role})
            rows[-1]["actions"] = actions
        return rows


class LoginSerializer(StrictSerializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


def _or_blank(schema: dict) -> dict:
    # anyOf, not drf-spectacular's oneOf: "" would match both branches (a oneOf no value satisfies).
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


class BrandingSerializer(StrictModelSerializer):
    primary_color = serializers.RegexField(HEX_COLOR, required=False)
    accent_color = serializers.RegexField(HEX_COLOR, required=False)
    host_name = serializers.CharField(max_length=253, required=False, allow_blank=True, allow_null=True)
    support_email = typed(
        _or_blank({"type": "string", "format": "email", "maxLength": 254}),
        serializers.EmailField,
        max_length=254,
        required=False,
        allow_blank=True,
    )
    support_url = typed(
        _or_blank({"type": "string", "format": "uri", "maxLength": 200}),
        serializers.URLField,
        max_length=200,
        required=False,
        allow_blank=True,
    )

    class Meta:
        model = Branding
        fields = [
            "product_name",
            "logo_url",
            "favicon_url",
            "primary_color",
            "accent_color",
            "support_email",
            "support_url",
            "login_text",
            "host_name",
        ]
        extra_kwargs = {"product_name": {"required": False}}

    def validate_logo_url(self, value: str) -> str:
        return _safe_url(value, "logo_url")

    def validate_favicon_url(self, value: str) -> str:
        return _safe_url(value, "favicon_url")


def _safe_url(value: str, field: str) -> str:
    # Logos render in <img src>: only https, same-site paths or inline images, never javascript:.
    if value and not value.startswith(("https://", "/", "data:image/")):
        raise serializers.ValidationError("Use an https:// URL, a /static/ path or a data:image URL.")
    return value


class OrganisationRefShape(StrictSerializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()

    class Meta:
        ref_name = "OrganisationRef"


class RunCountsShape(StrictSerializer):
    total = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    running = serializers.IntegerField(help_text="Queued, running or waiting.")

    class Meta:
        ref_name = "RunCounts"


class CustomerOverviewShape(StrictSerializer):
    """One customer in a partner's overview (observability.overview.partner_overview)."""

    organisation = OrganisationRefShape()
    flows = serializers.IntegerField()
    published_flows = serializers.IntegerField()
    runs = RunCountsShape(help_text="Top-level runs created in the last 24 hours.")
    last_run_at = serializers.DateTimeField(allow_null=True)
    last_failure_at = serializers.DateTimeField(allow_null=True)
    health = serializers.ChoiceField(choices=["healthy", "degraded", "failing", "idle"])

    class Meta:
        ref_name = "CustomerOverview"
