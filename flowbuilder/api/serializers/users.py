"""People as their organisations' admins see them: roles per organisation, active or not, last sign-in."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from flowbuilder.tenancy.models import Membership
from flowbuilder.tenancy.roles import Role

from .strict import StrictModelSerializer, StrictSerializer


class UserMembershipSerializer(StrictModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    deactivated_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "role",
            "is_active",
            "deactivated_at",
            "deactivated_by",
        ]
        read_only_fields = fields


class UserSerializer(StrictModelSerializer):
    """``memberships`` lists only the organisations the reader administers (never another tenant's)."""

    display_name = serializers.SerializerMethodField()
    can_sign_in = serializers.BooleanField(source="is_active", read_only=True)
    invited = serializers.SerializerMethodField(
        help_text="Invited and has not set a password nor signed in yet."
    )
    memberships = serializers.SerializerMethodField()
    locked_until = serializers.SerializerMethodField(
        help_text="Sign-in is locked after repeated failures until this time (null: not locked)."
    )

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "email",
            "display_name",
            "last_login",
            "date_joined",
            "can_sign_in",
            "invited",
            "memberships",
            "locked_until",
        ]
        read_only_fields = fields

    def get_display_name(self, user) -> str:
        return user.get_full_name() or user.get_username()

    def get_invited(self, user) -> bool:
        return user.last_login is None and not user.has_usable_password()

    @extend_schema_field(UserMembershipSerializer(many=True))
    def get_memberships(self, user) -> list[dict]:
        rows = getattr(user, "visible_memberships", None)
        if rows is None:
            rows = user.memberships.none()
        return UserMembershipSerializer(rows, many=True).data

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_locked_until(self, user):
        locks = self.context.get("locks") or {}
        return locks.get(user.get_username())


class MembershipRoleSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
