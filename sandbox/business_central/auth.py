"""Business Central's authorization: Microsoft Entra ID (the v2.0 endpoints), per Entra tenant.

- Client credentials (`/{tenant}/oauth2/v2.0/token`, scope `https://api.businesscentral.dynamics.com/.default`):
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
  https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/administration/automation-apis-using-s2s-authentication
- Authorization code for delegated access (`/{tenant}/oauth2/v2.0/authorize`, PKCE, `offline_access` for
  a refresh token; refresh tokens rotate and live 90 days):
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow
  https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens
- Error answers (AADSTS codes): https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes
- The API names tenant and environment: `/v2.0/{tenant}/{environment}/api/v2.0/...`:
  https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/endpoints-apis-for-dynamics

Here both live under /dynamics: `/dynamics/{tenant}/oauth2/v2.0/token` and
`/dynamics/v2.0/{tenant}/{environment}/api/v2.0/...`; the tenant is its id (a GUID) or a verified domain.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from ..platform.messages import Request, Response, json_response
from ..platform.oauth.clients import Client
from ..platform.oauth.errors import OAuthError
from ..platform.oauth.profile import AuthProfile
from ..platform.oauth.tokens import Issued, Principal
from ..platform.tenancy import Tenant

BC = "https://api.businesscentral.dynamics.com"
GRAPH = "https://graph.microsoft.com"
RESOURCES = (BC, GRAPH)
OIDC = frozenset({"openid", "profile", "email", "offline_access"})
SCOPES = frozenset(
    {
        f"{BC}/.default",
        f"{BC}/Financials.ReadWrite.All",
        f"{BC}/user_impersonation",
        f"{GRAPH}/.default",
        *OIDC,
    }
)
ENVIRONMENTS = ("production",)
MULTI_TENANT = ("common", "organizations")
_NS = uuid.UUID("7b0c1a52-3f6e-4c39-9d2a-2f0e5b1d6a10")
_API = re.compile(r"^/v2\.0/(?P<tenant>[^/]+)/(?P<env>[^/]+)(?P<rest>/api/.*)$")
_ENTRA = re.compile(r"^/(?P<tenant>[^/]+)(?P<rest>/oauth2/v2\.0/(?:token|authorize))$")


def tenant_id(tenant: Tenant) -> str:
    return str(uuid.uuid5(_NS, tenant.name))


def domains(tenant: Tenant) -> tuple[str, ...]:
    if tenant.is_default:  # "sandbox-tenant": the name the connector tests have always used
        return ("sandbox.onmicrosoft.com", "sandbox-tenant")
    return (f"{tenant.name}.onmicrosoft.com",)


class BusinessCentralAuth(AuthProfile):
    system = "dynamics"
    token_path = r"/oauth2/v2\.0/token"
    authorize_path = r"/oauth2/v2\.0/authorize"
    grants = frozenset({"authorization_code", "refresh_token", "client_credentials"})
    client_auth = ("form", "basic")
    code_ttl = 600
    refresh_ttl = 90 * 86400
    rotate_refresh = True
    known_scopes = SCOPES
    consent_subject = "admin@northwind-advisory.com"
    messages = {
        "unknown_client": (
            "unauthorized_client",
            "Application with the identifier given was not found in the directory.",
            400,
            700016,
        ),
        "bad_secret": (
            "invalid_client",
            "Invalid client secret provided. Ensure the secret being sent in the request is the client "
            "secret value, not the client secret ID.",
            401,
            7000215,
        ),
        "missing_secret": (
            "invalid_client",
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            401,
            7000218,
        ),
        "auth_method": ("invalid_client", "", 401, 7000218),
        "missing_grant_type": (
            "invalid_request",
            "The request body must contain the following parameter: 'grant_type'.",
            400,
            900144,
        ),
        "missing_code": (
            "invalid_request",
            "The request body must contain the following parameter: 'code'.",
            400,
            900144,
        ),
        "unknown_code": (
            "invalid_grant",
            "The provided value for the 'code' parameter is not valid.",
            400,
            70000,
        ),
        "code_expired": (
            "invalid_grant",
            "The provided authorization code or refresh token has expired due to inactivity.",
            400,
            70008,
        ),
        "code_reused": ("invalid_grant", "The code was already redeemed.", 400, 54005),
        "redirect_mismatch": (
            "invalid_grant",
            "The redirect URI in the request does not match the one used to obtain the authorization code.",
            400,
            50148,
        ),
        "pkce_missing": (
            "invalid_grant",
            "The request body must contain the following parameter: 'code_verifier'.",
            400,
            501481,
        ),
        "pkce_mismatch": (
            "invalid_grant",
            "The code_verifier does not match the code_challenge supplied in the authorization request.",
            400,
            501481,
        ),
        "pkce_unexpected": (
            "invalid_grant",
            "The code_verifier is not expected: the authorization request had no code_challenge.",
            400,
            501481,
        ),
        "refresh_unknown": ("invalid_grant", "The refresh token is malformed or not valid.", 400, 9002313),
        "refresh_expired": ("invalid_grant", "The refresh token has expired due to inactivity.", 400, 700082),
        "grant_unsupported": (
            "unsupported_grant_type",
            "The provided value for the input parameter 'grant_type' is not valid.",
            400,
            70003,
        ),
        "grant_not_enabled": (
            "unauthorized_client",
            "The client does not have permission for this grant.",
            400,
            700016,
        ),
        "scope_missing": (
            "invalid_request",
            "The request body must contain the following parameter: 'scope'.",
            400,
            900144,
        ),
        "scope_default": ("invalid_scope", "", 400, 1002012),
        "scope_invalid": (
            "invalid_scope",
            "The provided value for the input parameter 'scope' is not valid.",
            400,
            70011,
        ),
        "tenant_unknown": ("invalid_request", "", 400, 90002),
    }

    # -- the Entra tenant and BC environment ------------------------------------------------------
    def tenant_key(self, tenant: Tenant) -> str:
        return tenant_id(tenant)

    def find_tenant(self, key: str) -> Tenant | None:
        key = key.casefold()
        for tenant in self.sandbox.tenants.all():
            if key == tenant_id(tenant) or key in domains(tenant):
                return tenant
        return None

    def locate(self, req: Request) -> Response | None:
        system = self.sandbox.systems[self.system]
        m = _API.match(req.sub_path)
        if m:
            tenant = self.find_tenant(m.group("tenant"))
            if tenant is None:
                return system.unauthorized()
            if m.group("env") not in ENVIRONMENTS:
                return system.error(
                    404,
                    "NoEnvironment",
                    f"Environment '{m.group('env')}' does not exist for tenant '{m.group('tenant')}'.",
                )
            req.tenant = tenant.name
            req.root = f"/dynamics/v2.0/{m.group('tenant')}/{m.group('env')}"
            req.sub_path = m.group("rest")
            return None
        m = _ENTRA.match(req.sub_path)
        if m and m.group("tenant") not in ("oauth2",):
            segment = m.group("tenant")
            req.sub_path, req.root = m.group("rest"), f"/dynamics/{segment}"
            if segment in MULTI_TENANT:
                return None  # the client's own tenant
            tenant = self.find_tenant(segment)
            if tenant is None:
                err = OAuthError(
                    "invalid_request",
                    f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID "
                    "and are signing into the correct cloud.",
                    reason="tenant_unknown",
                )
                return self.error(err, req)
            req.tenant = tenant.name
        return None

    def identity(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        tid = tenant_id(tenant)
        return {
            "id": tid,
            "domain": domains(tenant)[0],
            "environment": ENVIRONMENTS[0],
            "api_base": f"{base_url}/dynamics/v2.0/{tid}/{ENVIRONMENTS[0]}",
            "token_url": f"{base_url}/dynamics/{tid}/oauth2/v2.0/token",
            "authorize_url": f"{base_url}/dynamics/{tid}/oauth2/v2.0/authorize",
            "scope": f"{BC}/.default",
        }

    def new_client_id(self) -> str:
        return str(uuid.uuid4())

    # -- scopes -----------------------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        return [f"{BC}/.default", f"{BC}/Financials.ReadWrite.All", *sorted(OIDC)]

    def grant_scopes(self, client: Client, requested: str | None, grant: str) -> list[str]:
        if not requested:
            raise OAuthError("invalid_request", "scope is required", reason="scope_missing")
        wanted = [s for s in requested.split() if s]
        if grant == "client_credentials":
            if len(wanted) != 1 or not wanted[0].endswith("/.default"):
                raise OAuthError(
                    "invalid_scope",
                    f"The provided value for scope {requested} is not valid. Client credential flows must "
                    "have a "
                    "scope value with /.default suffixed to the resource identifier (application ID URI).",
                    reason="scope_default",
                )
        unknown = [s for s in wanted if s not in SCOPES or (client.scopes and s not in client.scopes)]
        if unknown:
            raise OAuthError(
                "invalid_scope", f"scope not allowed: {' '.join(unknown)}", reason="scope_invalid"
            )
        return wanted

    def issues_refresh(self, scopes: list[str], grant: str) -> bool:
        return grant == "authorization_code" and "offline_access" in scopes

    def allows(self, principal: Principal, req: Request) -> bool:
        """The token's audience must be Business Central (a Graph token is refused)."""
        return any(s.startswith(BC + "/") for s in principal.scopes)

    # -- answers ----------------------------------------------------------------------------------
    def token_body(self, issued: Issued, req: Request) -> dict[str, Any]:
        body: dict[str, Any] = {"token_type": "Bearer"}
        if issued.grant != "client_credentials":
            body["scope"] = " ".join(issued.scopes)
        body.update(
            expires_in=issued.expires_in, ext_expires_in=issued.expires_in, access_token=issued.access_token
        )
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        return body

    def error(self, err: OAuthError, req: Request) -> Response:
        err = self.shaped(err)
        code = err.code or 90014
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        now = datetime.now(UTC)
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        ids = f"Trace ID: {trace} Correlation ID: {correlation} Timestamp: {stamp}"
        description = f"AADSTS{code}: {err.description} {ids}"
        body = {
            "error": err.error,
            "error_description": description,
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        }
        return json_response(err.status, body, {"Cache-Control": "no-store", "Pragma": "no-cache"})
