"""Authentication backends: passwords (refused for SSO-only organisations) and OpenID Connect.

Both sit behind axes' backend (``AUTHENTICATION_BACKENDS`` lists it first), so a locked-out account or
address gets no further. A refusal leaves a note on the request (``fb_sign_in_refused``) that the
sign-in views turn into a clear message.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, import_from_settings

from . import oidc
from .actions import client_secret, sso_only_organisation, sso_user
from .models import OrganisationSSO

SESSION_CONFIG = "fb_sso_config"


def refuse(request: Any, message: str) -> None:
    if request is not None:
        request.fb_sign_in_refused = message


class PasswordBackend(ModelBackend):
    """Username and password, except for members of an organisation that signs in with SSO only."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            return None
        config = sso_only_organisation(user)
        if config is not None:
            refuse(
                request,
                f"{config.organisation.name} signs in with single sign-on only: use “{config.label}” "
                "on the sign-in page (or enter your e-mail address there).",
            )
            return None
        return user


class OrganisationOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, configured per organisation (the one whose sign-in started it).

    The library keeps state, nonce and PKCE in the session and runs the flow; the provider's endpoints,
    client and keys come from the organisation's settings, every request goes through the safe client,
    and the id_token's issuer and audience are checked (``oidc.verified_claims``).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # settings come per organisation, not globally
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.config: OrganisationSSO | None = None

    def get_settings(self, attr: str, *args: Any) -> Any:
        overrides = {
            "OIDC_AUTHENTICATION_CALLBACK_URL": "sso-callback",
            "OIDC_RP_SCOPES": self.config.scopes if self.config else "openid email",
            "OIDC_CREATE_USER": bool(self.config and self.config.create_users),
            "OIDC_STORE_ACCESS_TOKEN": False,
            "OIDC_STORE_ID_TOKEN": False,
            "OIDC_USE_NONCE": True,
        }
        return overrides[attr] if attr in overrides else import_from_settings(attr, *args)

    def authenticate(self, request: Any, **kwargs: Any):
        if request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        config_id = request.session.get(SESSION_CONFIG)
        self.config = (
            OrganisationSSO.objects.select_related("organisation").filter(pk=config_id, enabled=True).first()
            if config_id
            else None
        )
        if self.config is None:
            refuse(request, "This single sign-on is not set up any more; start again from the sign-in page.")
            return None
        self.request = request
        nonce, verifier = kwargs.get("nonce"), kwargs.get("code_verifier")
        try:
            payload = {
                "client_id": self.config.client_id,
                "client_secret": client_secret(self.config),
                "grant_type": "authorization_code",
                "code": request.GET["code"],
                "redirect_uri": absolutify(request, reverse("sso-callback")),
            }
            if verifier:
                payload["code_verifier"] = verifier
            tokens = oidc.fetch_token(self.config, payload)
            claims = oidc.verified_claims(self.config, tokens["id_token"], nonce=nonce)
            info = oidc.userinfo(self.config, tokens.get("access_token", ""))
            if info and info.get("sub") not in (None, claims.get("sub")):
                raise oidc.SsoError("The user info does not describe the person who signed in.")
            return sso_user(config=self.config, claims={**info, **claims})
        except oidc.SsoError as exc:
            refuse(request, exc.message)
            return None

    def get_user(self, user_id: Any):
        user = super().get_user(user_id)
        return user if user is not None and user.is_active else None

    def get_or_create_user(self, *args: Any, **kwargs: Any):  # pragma: no cover - authenticate() owns this
        raise SuspiciousOperation("not used: sso_user() decides who signs in")
