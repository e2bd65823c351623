"""Shared argument handling for the terminal commands: who acts, in which organisation."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from flowbuilder.tenancy.models import Organisation


def actor_and_org(username: str, org_slug: str | None):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}; pass --user with an existing username.")
    if org_slug:
        org = Organisation.objects.filter(slug=org_slug).first()
        if org is None:
            raise CommandError(f"No organisation with slug {org_slug!r}.")
    else:
        membership = user.memberships.select_related("organisation").first()
        if membership is None:
            raise CommandError(f"{username} belongs to no organisation; pass --org.")
        org = membership.organisation
    return user, org
