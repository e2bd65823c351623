"""Who has access to a flow or connection, and sharing one with a user or a role (tenancy.sharing)."""

from __future__ import annotations

from rest_framework import serializers

from flowbuilder.tenancy.roles import Role

from .strict import StrictSerializer

SHARE_VERBS = [("view", "view"), ("change", "change"), ("run", "run"), ("publish", "publish")]


class ShareTargetSerializer(StrictSerializer):
    """Either ``user`` or ``role`` (with ``organisation``: the object's own by default, or its partner)."""

    user = serializers.IntegerField(required=False, allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False, allow_blank=True)
    organisation = serializers.IntegerField(required=False, allow_null=True)

    def validate(self, attrs):
        if (attrs.get("user") is None) == (not attrs.get("role")):
            raise serializers.ValidationError({"user": ["Share with either a user or a role."]})
        return attrs


class ShareSerializer(ShareTargetSerializer):
    permissions = serializers.ListField(
        child=serializers.ChoiceField(choices=SHARE_VERBS), min_length=1, max_length=4
    )


class ShareShape(StrictSerializer):
    user = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    organisation = serializers.IntegerField(allow_null=True)
    organisation_name = serializers.CharField(allow_null=True)
    permissions = serializers.ListField(child=serializers.ChoiceField(choices=SHARE_VERBS))

    class Meta:
        ref_name = "Share"


class AccessPersonShape(StrictSerializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    permissions = serializers.ListField(child=serializers.ChoiceField(choices=SHARE_VERBS))
    via = serializers.ListField(child=serializers.CharField(), help_text="Why: a role, a share.")

    class Meta:
        ref_name = "AccessPerson"


class CandidateShape(StrictSerializer):
    user = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()

    class Meta:
        ref_name = "ShareCandidate"


class AccessShape(StrictSerializer):
    shareable = serializers.ListField(child=serializers.ChoiceField(choices=SHARE_VERBS))
    shares = ShareShape(many=True)
    people = AccessPersonShape(many=True)
    candidates = CandidateShape(many=True, help_text="People the reader may share with (admins only).")

    class Meta:
        ref_name = "Access"
