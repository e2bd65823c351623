"""Changes to how people sign in: single sign-on settings, who an SSO sign-in is, unlocking a lockout.

Each takes a keyword-only ``actor`` (the SSO sign-in acts as the organisation's identity provider),
runs in a transaction and writes its audit row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.db import transaction

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.credentials.vault import get_vault
from flowbuilder.tenancy.models import Membership, Organisation
from flowbuilder.tenancy.permissions import can
from flowbuilder.tenancy.roles import ROLE_ACTIONS, Action, Role

from .models import OrganisationSSO
from .oidc import SsoError, forget

SSO_FIELDS = (
    "enabled",
    "issuer",
    "client_id",
    "scopes",
    "role_claim",
    "role_mapping",
    "default_role",
    "create_users",
    "sso_only",
    "email_domains",
    "login_host",
    "button_label",
)


# --- settings -------------------------------------------------------------------------------------------


def public_settings(config: OrganisationSSO) -> dict[str, Any]:
    """What the API and the audit trail may show: everything but the secret (only whether it is set)."""
    return {
        **{name: getattr(config, name) for name in SSO_FIELDS},
        "client_secret_set": bool(config.client_secret_ciphertext),
    }


def _domains(values: Iterable[str]) -> list[str]:
    cleaned = []
    for raw in values or []:
        domain = str(raw).strip().lower().lstrip("@").rstrip(".")
        if not domain or "." not in domain or any(c in domain for c in " /@:"):
            raise InvalidInputError(
                f"{raw!r} is not an e-mail domain like example.com.", field="email_domains"
            )
        cleaned.append(domain)
    return sorted(set(cleaned))


def _mapping(values: Mapping[str, Any]) -> dict[str, str]:
    if not isinstance(values, Mapping):
        raise InvalidInputError("The role mapping maps claim values to roles.", field="role_mapping")
    mapping = {}
    for claim_value, role in values.items():
        if role not in Role.values:
            raise InvalidInputError(
                f"{claim_value!r} maps to {role!r}, which is not a role ({', '.join(Role.values)}).",
                field="role_mapping",
            )
        mapping[str(claim_value)] = role
    return mapping


def _issuer(value: str) -> str:
    parts = urlsplit((value or "").strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInputError(
            "The issuer is the provider's https:// URL (its discovery base).", field="issuer"
        )
    return value.strip().rstrip("/")


def set_sso(
    *, actor: Any, organisation: Organisation, client_secret: str | None = None, **values: Any
) -> OrganisationSSO:
    """Create or change the organisation's single sign-on. ``client_secret``: None keeps the stored one."""
    if not can(actor, Action.ADMIN, organisation):
        raise PermissionDeniedError(
            "Only admins of this organisation (or its partner) set its single sign-on."
        )
    changes = {k: v for k, v in values.items() if k in SSO_FIELDS}
    if "issuer" in changes:
        changes["issuer"] = _issuer(changes["issuer"])
    if "email_domains" in changes:
        changes["email_domains"] = _domains(changes["email_domains"])
    if "role_mapping" in changes:
        changes["role_mapping"] = _mapping(changes["role_mapping"])
    if "default_role" in changes and changes["default_role"] not in ("", *Role.values):
        raise InvalidInputError(
            "The default role is a role, or empty to refuse unmapped people.", field="default_role"
        )
    if "login_host" in changes:
        changes["login_host"] = (changes["login_host"] or "").strip().lower() or None
        taken = OrganisationSSO.objects.filter(login_host=changes["login_host"]).exclude(
            organisation=organisation
        )
        if changes["login_host"] and taken.exists():
            raise InvalidInputError("Another organisation's sign-in uses this host name.", field="login_host")
    with transaction.atomic():
        config = OrganisationSSO.objects.select_for_update().filter(organisation=organisation).first()
        created = config is None
        if created:
            missing = [f for f in ("issuer", "client_id") if not changes.get(f)]
            if missing:
                raise InvalidInputError(f"Single sign-on needs {' and '.join(missing)}.", field=missing[0])
            config = OrganisationSSO(organisation=organisation)
        before = None if created else public_settings(config)
        for key, value in changes.items():
            setattr(config, key, value)
        if client_secret is not None:
            config.client_secret_ciphertext = (
                get_vault().encrypt({"client_secret": client_secret}) if client_secret else ""
            )
        config.save()
        record(
            AuditAction.SSO_SET,
            actor=actor,
            organisation=organisation,
            obj=config,
            before=before,
            after=public_settings(config),
        )
    forget(config)
    return config


def remove_sso(*, actor: Any, organisation: Organisation) -> None:
    if not can(actor, Action.ADMIN, organisation):
        raise PermissionDeniedError(
            "Only admins of this organisation (or its partner) set its single sign-on."
        )
    with transaction.atomic():
        config = OrganisationSSO.objects.select_for_update().filter(organisation=organisation).first()
        if config is None:
            raise InvalidInputError("This organisation has no single sign-on.")
        record(
            AuditAction.SSO_REMOVE,
            actor=actor,
            organisation=organisation,
            obj=config,
            before=public_settings(config),
        )
        forget(config)
        config.delete()


def client_secret(config: OrganisationSSO) -> str:
    return str(get_vault().decrypt(config.client_secret_ciphertext).get("client_secret", ""))


# --- who an SSO sign-in is -------------------------------------------------------------------------------


def _strength(role: str) -> int:
    return len(ROLE_ACTIONS.get(role, ()))


def claimed_role(config: OrganisationSSO, claims: Mapping[str, Any]) -> str:
    """The strongest role the ``role_claim`` values map to ('' when none maps)."""
    raw = claims.get(config.role_claim) if config.role_claim else None
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    roles = [config.role_mapping[str(v)] for v in values if str(v) in config.role_mapping]
    return max(roles, key=_strength) if roles else ""


def mapped_role(config: OrganisationSSO, claims: Mapping[str, Any]) -> str:
    """The role the claims give: the mapped one, else the default role ('' when there is none)."""
    return claimed_role(config, claims) or config.default_role


def _email(config: OrganisationSSO, claims: Mapping[str, Any]) -> str:
    email = str(claims.get("email") or "").strip().lower()
    if not email or "@" not in email:
        raise SsoError("The sign-in service did not say who you are (no e-mail address).")
    if claims.get("email_verified") is False:
        raise SsoError("Your e-mail address is not verified at the sign-in service.")
    domain = email.rsplit("@", 1)[1]
    if config.email_domains and domain not in config.email_domains:
        raise SsoError(f"{config.organisation.name} does not sign in people of {domain} with single sign-on.")
    return email


def sso_user(*, config: OrganisationSSO, claims: Mapping[str, Any]) -> Any:
    """The person these verified claims name, created on first sign-in if the settings allow, with the
    role the claims map to in the organisation. Refused (SsoError, with a message for the sign-in page)
    when the account belongs to people outside this organisation, when no role applies, or when the
    person was deactivated here."""
    org = config.organisation
    email = _email(config, claims)
    role = mapped_role(config, claims)
    actor = f"sso:{org.slug}"
    users = get_user_model().objects.filter(email__iexact=email)
    if users.count() > 1:
        raise SsoError("Several accounts use your e-mail address; ask your administrator.")
    user = users.first()
    with transaction.atomic():
        if user is not None:
            elsewhere = Membership.objects.filter(user=user).exclude(organisation=org)
            if user.is_superuser or user.is_staff or elsewhere.exists():
                # The provider speaks for this organisation only: an account that also belongs to
                # other organisations signs in with its password, never through this provider.
                raise SsoError(
                    f"Your account also belongs to other organisations, so {org.name}'s single sign-on "
                    "cannot sign it in. Sign in with your password, or ask your administrator."
                )
        membership = Membership.objects.filter(user=user, organisation=org).first() if user else None
        if membership is not None and not membership.is_active:
            raise SsoError(f"Your access to {org.name} was deactivated; ask its administrator.")
        if membership is None and not role:
            raise SsoError(f"The sign-in service gives you no role in {org.name}; ask its administrator.")
        if user is None:
            if not config.create_users:
                raise SsoError(f"{org.name} has no account for {email}; ask its administrator to invite you.")
            user = _create_user(email, claims)
        names = {
            "first_name": str(claims.get("given_name") or "")[:150],
            "last_name": str(claims.get("family_name") or "")[:150],
        }
        changed = [k for k, v in names.items() if v and getattr(user, k) != v]
        for key in changed:
            setattr(user, key, names[key])
        if changed:
            user.save(update_fields=changed)
        if membership is None:
            membership = Membership.objects.create(user=user, organisation=org, role=role)
            record(
                AuditAction.MEMBERSHIP_SET,
                actor=actor,
                organisation=org,
                obj=membership,
                after={"user": user.get_username(), "role": role, "via": "sso"},
            )
        elif claimed_role(config, claims) and membership.role != role:
            # The provider's groups decide the role when they map to one (the default never downgrades
            # a role an admin gave).
            before = {"role": membership.role}
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
            record(
                AuditAction.MEMBERSHIP_SET,
                actor=actor,
                organisation=org,
                obj=membership,
                before=before,
                after={"user": user.get_username(), "role": role, "via": "sso"},
            )
    return user


def _create_user(email: str, claims: Mapping[str, Any]) -> Any:
    User = get_user_model()
    username, n = email, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{email}-{n}"
    user = User(username=username[:150], email=email)
    user.set_unusable_password()
    user.save()
    return user


def sso_only_organisation(user: Any) -> OrganisationSSO | None:
    """The SSO-only organisation that forbids ``user`` a password sign-in, if any."""
    return (
        OrganisationSSO.objects.filter(
            enabled=True,
            sso_only=True,
            organisation__memberships__user=user,
            organisation__memberships__is_active=True,
        )
        .select_related("organisation")
        .first()
    )


# --- lockouts -------------------------------------------------------------------------------------------


def unlock_user(*, actor: Any, user: Any) -> int:
    """Clear ``user``'s failed sign-ins (their lockout ends now); an admin of one of their organisations."""
    from axes.utils import reset

    orgs = list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    administered = [o for o in orgs if can(actor, Action.ADMIN, Organisation(pk=o))]
    if not administered:
        raise PermissionDeniedError("Only an admin of one of their organisations can unlock them.")
    with transaction.atomic():
        cleared = reset(username=user.get_username())
        record(
            AuditAction.AUTH_UNLOCK,
            actor=actor,
            organisation=administered[0],
            obj=user,
            after={"username": user.get_username(), "attempts_cleared": cleared},
        )
    return cleared
