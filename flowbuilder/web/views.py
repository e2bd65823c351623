from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.tenancy.branding import brand_for

from .assets import editor_assets


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "brand": brand_for(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        record(AuditAction.AUTH_LOGIN, actor=form.get_user())
        return response


class BrandedMixin:
    """Every auth page (and the e-mail it sends) carries the brand of the host or the user."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "brand": brand_for(self.request)}


class PasswordResetView(BrandedMixin, auth_views.PasswordResetView):
    template_name = "web/password_reset_form.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"

    def form_valid(self, form):
        self.extra_email_context = {"brand": brand_for(self.request)}
        return super().form_valid(form)


class PasswordResetDoneView(BrandedMixin, auth_views.PasswordResetDoneView):
    template_name = "web/password_reset_done.html"


class PasswordResetConfirmView(BrandedMixin, auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"


class PasswordResetCompleteView(BrandedMixin, auth_views.PasswordResetCompleteView):
    template_name = "web/password_reset_complete.html"


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(AuditAction.AUTH_LOGOUT, actor=request.user)
    logout(request)
    return redirect("login")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@login_required
def spa(request: HttpRequest) -> HttpResponse:
    """The editor's shell: its built assets plus a JSON config (never inline script code)."""
    config = {
        "user": {"id": request.user.pk, "username": request.user.get_username()},
        "csrfToken": get_token(request),
        "branding": brand_for(request),
    }
    return render(
        request, "web/spa.html", {"assets": editor_assets(), "config": config, "brand": config["branding"]}
    )
