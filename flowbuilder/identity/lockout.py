"""Login protection with django-axes: failures and lockouts audited, one clear message, admin unlock.

Lockout is per account and per client address (``AXES_LOCKOUT_PARAMETERS``): ``AXES_FAILURE_LIMIT``
failures for one username from anywhere, or ``FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT`` from one
address for any usernames, lock that username or that address for the cool-off period. Attempts
during a lockout neither count nor extend it. The client address is
:func:`flowbuilder.identity.client_ip.client_ip` (trusted proxies honoured).

``AuditedAxesHandler`` writes ``auth.login_failed`` for each counted failure and ``auth.lockout`` when a
lockout starts; ``lockout_response`` (``AXES_LOCKOUT_CALLABLE``, applied by axes' middleware to the
form and the API alike) says until when, and who can unlock it sooner.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Max, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.tenancy.models import Membership

USERNAME_CHARS = 150


def _victim(username: str) -> tuple[Any, int | None]:
    """The account a sign-in named (if it exists) and its first organisation, for the audit row."""
    user = get_user_model().objects.filter(username=username).first() if username else None
    if user is None:
        return None, None
    org = (
        Membership.objects.filter(user=user)
        .order_by("-is_active", "organisation_id")
        .values_list("organisation_id", flat=True)
        .first()
    )
    return user, org


def _where(request: Any) -> dict[str, str]:
    return {
        "ip": getattr(request, "axes_ip_address", "") or "",
        "path": getattr(request, "axes_path_info", ""),
    }


def address_limit() -> int:
    return max(1, settings.FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT)


class AuditedAxesHandler(AxesDatabaseHandler):
    """Axes' database handler plus an audit row for each counted failure and each lockout, and a
    separate (higher) limit per client address: an office behind one address shares it."""

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """After a successful sign-in forget that account's own failures only. (Axes would also clear
        every failure from the address: anyone with one valid account could then unlock the accounts
        they attack from it.)"""
        username = get_client_username(request, credentials)
        if not username:
            return 0
        deleted, _ = AccessAttempt.objects.filter(username=username).delete()
        return deleted

    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The failures axes compares with ``AXES_FAILURE_LIMIT``: an account's as they are, an
        address's scaled so that ``FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT`` of them reach it."""
        limit = get_failure_limit(request, credentials)
        scores = []
        for parameter, attempts in zip(
            get_lockout_parameters(request, credentials),
            self.get_user_attempts(request, credentials),
            strict=True,
        ):
            failures = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            scores.append(failures * limit // address_limit() if parameter == "ip_address" else failures)
        return max(scores, default=0)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        already_locked = bool(getattr(request, "axes_locked_out", False))
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or already_locked:
            return  # an attempt during a lockout is not counted (and not audited again)
        username = (get_client_username(request, credentials) or "")[:USERNAME_CHARS]
        user, org = _victim(username)
        where = _where(request)
        record(
            AuditAction.AUTH_LOGIN_FAILED,
            actor="anonymous",
            organisation=org,
            obj=user,
            object_type="" if user else "auth.user",
            after={"username": username, **where},
        )
        if getattr(request, "axes_locked_out", False):
            until = locked_until(username=username, ip=where["ip"])
            record(
                AuditAction.AUTH_LOCKOUT,
                actor="anonymous",
                organisation=org,
                obj=user,
                object_type="" if user else "auth.user",
                after={
                    "username": username,
                    **where,
                    "failures": getattr(request, "axes_failures_since_start", None),
                    "until": until.isoformat() if until else None,
                },
            )


def _lock_end(rows: Any, limit: int) -> datetime | None:
    cool_off = get_cool_off()
    if cool_off is None:
        return None
    totals = rows.aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    if (totals["failures"] or 0) < limit or totals["last"] is None:
        return None
    end = totals["last"] + cool_off
    return end if end > timezone.now() else None


def _recent() -> Any:
    cool_off = get_cool_off()
    rows = AccessAttempt.objects.all()
    return rows.filter(attempt_time__gte=timezone.now() - cool_off) if cool_off else rows


def locked_until(*, username: str | None = None, ip: str | None = None) -> datetime | None:
    """When the lockout of this username or this address ends (None: not locked)."""
    ends = []
    if username:
        ends.append(_lock_end(_recent().filter(username=username), get_failure_limit(None, None)))
    if ip:
        ends.append(_lock_end(_recent().filter(ip_address=ip), address_limit()))
    found = [e for e in ends if e is not None]
    return max(found) if found else None


def locks_for(usernames: list[str]) -> dict[str, datetime]:
    """Usernames locked now -> when their lockout ends (one query, for the users page)."""
    cool_off = get_cool_off()
    if not usernames or cool_off is None:
        return {}
    limit = get_failure_limit(None, None)
    rows = (
        _recent()
        .filter(username__in=usernames)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    )
    now = timezone.now()
    return {
        r["username"]: r["last"] + cool_off
        for r in rows
        if r["failures"] >= limit and r["last"] + cool_off > now
    }


def lockout_message(request: Any, credentials: dict | None) -> tuple[str, datetime | None]:
    from flowbuilder.tenancy.branding import brand_for

    username = get_client_username(request, credentials) if credentials else None
    until = locked_until(username=username, ip=getattr(request, "axes_ip_address", None))
    when = (
        f"until {until:%H:%M} UTC (about {max(1, round((until - timezone.now()).total_seconds() / 60))} "
        "minutes)"
        if until
        else "for a while"
    )
    support = brand_for(request).get("support_email")
    ask = "An administrator of your organisation can unlock it sooner (Settings, Users)"
    ask += f", or write to {support}." if support else "."
    return f"Too many failed sign-ins: signing in is locked {when}. {ask}", until


def lockout_response(
    request: Any, original_response: HttpResponse | None = None, credentials: dict | None = None
):
    """What a locked-out sign-in gets: JSON for the API, the sign-in page for the form; 429 either way."""
    message, until = lockout_message(request, credentials)
    retry = int((until - timezone.now()).total_seconds()) + 1 if until else 60
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "detail": message,
                "locked_until": until.isoformat() if until else None,
                "errors": {"username": [message]},
            },
            status=429,
        )
    else:
        from django.contrib.auth.forms import AuthenticationForm

        from flowbuilder.tenancy.branding import brand_for

        # Unbound: validating it would try the password again (and count another failure).
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        context = {
            "brand": brand_for(request),
            "form": form,
            "lockout": message,
            "next": request.POST.get("next", ""),
        }
        response = render(request, "web/login.html", context, status=429)
    response["Retry-After"] = str(max(1, retry))
    return response
