from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from flowbuilder.tenancy.models import Membership, Organisation
from flowbuilder.tenancy.roles import Role


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "kind", "parent", "created_at"]
        read_only_fields = fields


class CustomerCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)


class MembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "organisation", "username", "role", "created_at"]
        read_only_fields = fields


class MembershipWriteSerializer(serializers.Serializer):
    organisation = serializers.IntegerField()
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class MeSerializer(serializers.ModelSerializer):
    display_name = serializers.SerializerMethodField()
    organisations = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "display_name", "organisations"]

    def get_display_name(self, user) -> str:
        return user.get_full_name() or user.get_username()

    def get_organisations(self, user) -> list[dict]:
        from flowbuilder.tenancy.permissions import organisation_ids_for

        roles = {m.organisation_id: m.role for m in user.memberships.all()}
        orgs = Organisation.objects.filter(id__in=organisation_ids_for(user, "view")).order_by("kind", "name")
        return [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "parent": o.parent_id,
                "role": roles.get(o.id, "admin"),
            }
            for o in orgs
        ]


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
