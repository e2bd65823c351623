"""Signing in through an organisation's OpenID provider (flowbuilder.identity, mozilla-django-oidc).

``/sso/?email=`` finds the organisation by the e-mail's domain and shows its button; ``/sso/<slug>/``
starts the code flow (state, nonce and PKCE in the session); ``/sso/callback/`` finishes it. The
sign-in page also shows the button of the organisation whose ``login_host`` is the page's host.
The button is a link, not a form: the page's CSP (``form-action 'self'``) would stop a form's redirect
to the provider.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from flowbuilder.identity.backends import SESSION_CONFIG
from flowbuilder.identity.models import OrganisationSSO
from flowbuilder.identity.oidc import SsoError, provider
from flowbuilder.tenancy.actions import sign_in

SESSION_ERROR = "fb_sso_error"


def enabled() -> Any:
    return OrganisationSSO.objects.filter(enabled=True).select_related("organisation")


def for_host(host: str) -> list[OrganisationSSO]:
    name = (host or "").split(":")[0].lower()
    return list(enabled().filter(login_host=name)) if name else []


def for_email(email: str) -> OrganisationSSO | None:
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return None
    return next((c for c in enabled() if domain in (c.email_domains or [])), None)


def start_url(config: OrganisationSSO, next_url: str = "") -> str:
    url = reverse("sso-start", kwargs={"slug": config.organisation.slug})
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def pop_error(request: HttpRequest) -> str:
    return request.session.pop(SESSION_ERROR, "") if hasattr(request, "session") else ""


class SsoStartView(OIDCAuthenticationRequestView):
    """Redirect to the organisation's provider (its authorization endpoint from discovery)."""

    def __init__(self, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)  # settings come per organisation
        self.config: OrganisationSSO | None = None

    def get_settings(self, attr: str, *args: Any) -> Any:
        if attr == "OIDC_RP_SCOPES" and self.config is not None:
            return self.config.scopes
        if attr == "OIDC_AUTHENTICATION_CALLBACK_URL":
            return "sso-callback"
        return OIDCAuthenticationRequestView.get_settings(attr, *args)

    def get(self, request: HttpRequest, slug: str = "") -> HttpResponse:
        self.config = enabled().filter(organisation__slug=slug).first()
        if self.config is None:
            return _back_to_login(request, "This organisation does not sign in with single sign-on.")
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider(self.config).authorization_endpoint
        except SsoError as exc:
            return _back_to_login(request, exc.message)
        self.OIDC_RP_CLIENT_ID = self.config.client_id
        request.session[SESSION_CONFIG] = self.config.pk
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider sends the browser back here; success signs in (audited), failure says why."""

    @property
    def failure_url(self) -> str:
        return reverse("login")

    def login_success(self) -> HttpResponse:
        sign_in(self.request, user=self.user)
        self.request.session.pop(SESSION_CONFIG, None)
        return HttpResponseRedirect(self.success_url)

    def login_failure(self) -> HttpResponse:
        message = getattr(self.request, "fb_sign_in_refused", "") or (
            "Single sign-on did not complete. " + (self.request.GET.get("error_description") or "Try again.")
        )
        return _back_to_login(self.request, message)


def _back_to_login(request: HttpRequest, message: str) -> HttpResponse:
    request.session[SESSION_ERROR] = message[:500]
    return HttpResponseRedirect(reverse("login"))


def discover(request: HttpRequest) -> HttpResponse:
    """``?email=``: back to the sign-in page showing that organisation's button (or saying none)."""
    email = request.GET.get("email", "")
    config = for_email(email)
    query = {"sso_email": email} if config else {}
    if config is None:
        request.session[SESSION_ERROR] = "No organisation signs in that e-mail address with single sign-on."
    next_url = request.GET.get("next", "")
    if next_url:
        query["next"] = next_url
    return HttpResponseRedirect(f"{reverse('login')}?{urlencode(query)}" if query else reverse("login"))
