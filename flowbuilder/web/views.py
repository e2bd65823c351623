from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from flowbuilder.tenancy.actions import sign_in, sign_out
from flowbuilder.tenancy.branding import brand_for

from . import sso
from .assets import editor_assets


class LoginView(auth_views.LoginView):
    """Password sign-in (login protection in flowbuilder.identity) and the organisation SSO buttons."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        next_url = context.get("next", "")
        buttons = {c.pk: c for c in sso.for_host(self.request.get_host())}
        found = (
            sso.for_email(self.request.GET.get("sso_email", ""))
            if self.request.GET.get("sso_email")
            else None
        )
        if found is not None:
            buttons[found.pk] = found
        return {
            **context,
            "brand": brand_for(self.request),
            "refused": getattr(self.request, "fb_sign_in_refused", ""),
            "sso_error": sso.pop_error(self.request),
            "sso_buttons": [{"label": c.label, "url": sso.start_url(c, next_url)} for c in buttons.values()],
        }

    def form_valid(self, form):
        sign_in(self.request, user=form.get_user())
        return HttpResponseRedirect(self.get_success_url())


class BrandedMixin:
    """Every auth page (and the e-mail it sends) carries the brand of the host or the user."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "brand": brand_for(self.request)}


class PasswordResetView(BrandedMixin, auth_views.PasswordResetView):
    """Rate limited per client address (429 saying when to try again) and per e-mail address (quietly:
    the page never tells whether an account exists)."""

    template_name = "web/password_reset_form.html"
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"

    def form_valid(self, form):
        from flowbuilder.identity.client_ip import client_ip
        from flowbuilder.identity.throttle import retry_after, spend

        window = settings.FLOWBUILDER_RESET_WINDOW_S
        address = client_ip(self.request)
        if not spend("reset-ip", address, limit=settings.FLOWBUILDER_RESET_PER_ADDRESS, window_s=window):
            minutes = max(1, round(retry_after("reset-ip", address, window_s=window) / 60))
            form.add_error(
                "email", f"Too many reset requests from your network: try again in about {minutes} minutes."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = form.cleaned_data["email"]
        if not spend("reset-email", email, limit=settings.FLOWBUILDER_RESET_PER_EMAIL, window_s=window):
            return HttpResponseRedirect(self.get_success_url())  # the same page as when a link was sent
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
    sign_out(request)
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


def approval_link(request: HttpRequest, token: str) -> HttpResponse:
    """The single-use link from an approval e-mail: GET shows the request, POST decides it.

    Deciding needs a POST (a mail scanner that follows links must not approve anything); the signed link
    names the user it was sent to, so no sign-in is needed, and it stops working once used.
    """
    from flowbuilder.core.errors import FlowbuilderError
    from flowbuilder.execution import approvals

    error = ""
    try:
        approval, approver = approvals.resolve_link(token)
    except FlowbuilderError as exc:
        return render(
            request, "web/message.html", {"brand": brand_for(request), "message": exc.message}, status=403
        )
    if request.method == "POST":
        try:
            approval = approvals.decide_by_link(
                token=token, decision=request.POST.get("decision", ""), reason=request.POST.get("reason", "")
            )
        except FlowbuilderError as exc:
            error = exc.message
    columns = approval.columns or sorted({k for item in approval.items[:50] for k in item})[:6]
    rows = [[item.get(c, "") for c in columns] for item in approval.items[:200]]
    context = {
        "brand": brand_for(request),
        "approval": approval,
        "approver": approver.get_username(),
        "flow_name": approval.run.flow.name,
        "columns": columns,
        "rows": rows,
        "error": error,
    }
    return render(request, "web/approval.html", context, status=400 if error else 200)
