"""NetSuite's authorization as NetSuite documents it, per account (the account id names the tenant: in
the host on a real account, `https://<accountid>.suitetalk.api.netsuite.com`; here in the path,
`/netsuite/<ACCOUNT>/services/rest/...`).

- OAuth 2.0 authorization code grant, step one (authorize.nl: scope, state, PKCE) and step two (token
  endpoint, client credentials in HTTP Basic):
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_158081944642.html
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_160855590788.html
- Refresh token request: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_160855594402.html
  (refresh tokens live for the integration record's refresh token validity: 1 to 720 hours, 168 by default)
- Client credentials (M2M) with a JWT client assertion (PS256/384/512, ES256/384/512; kid = certificate
  id; iss, scope, aud, exp, iat; exp at most 60 minutes after iat):
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162755359851.html
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_162790605110.html
  Certificate conditions (RSA 3072 or 4096 bits, EC 256, 384 or 521 bits):
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/subsect_162755332391.html
- Token-based authentication (OAuth 1.0a, HMAC-SHA256, realm = account id):
  https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1534941295.html
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from ..platform.messages import Request, Response
from ..platform.oauth import assertions, oauth1
from ..platform.oauth.clients import Certificate, Client
from ..platform.oauth.errors import OAuthError
from ..platform.oauth.profile import AuthProfile
from ..platform.oauth.tokens import Issued, Principal
from ..platform.tenancy import Tenant

TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
SCOPES = frozenset({"restlets", "rest_webservices", "suite_analytics"})
ASSERTION_ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
RSA_BITS, EC_BITS = (3072, 4096), ("secp256r1", "secp384r1", "secp521r1")
TBA_WINDOW = 300  # seconds a TBA timestamp may differ from the server's clock
_ACCOUNT = re.compile(r"^/(?P<account>[A-Za-z0-9_\-]+)(?P<rest>/(?:services|app)/.*)$")
_STATE = re.compile(r"^[\x20-\x7e]{22,1024}$")


def account_id(tenant: Tenant) -> str:
    return "SANDBOX" if tenant.is_default else tenant.name.upper().replace("-", "_")


class NetSuiteAuth(AuthProfile):
    system = "netsuite"
    token_path = TOKEN_PATH
    authorize_path = r"/app/login/oauth2/authorize\.nl"
    grants = frozenset({"authorization_code", "refresh_token", "client_assertion", "tba"})
    client_auth = ("basic",)  # "client credentials in the HTTP authorization request header"
    secret_client_credentials = False  # M2M takes a signed client assertion, never a secret
    code_ttl = 600
    known_scopes = SCOPES
    consent_subject = "admin@northwind-advisory.com (Administrator)"
    messages = {
        "unknown_client": ("invalid_client", "", 401, None),
        "bad_secret": ("invalid_client", "", 401, None),
        "missing_secret": ("invalid_client", "", 401, None),
        "auth_method": ("invalid_client", "", 401, None),
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self._nonces: dict[tuple[str, str, str], float] = {}
        self._nonce_lock = threading.Lock()

    # -- the account ------------------------------------------------------------------------------
    def tenant_key(self, tenant: Tenant) -> str:
        return account_id(tenant)

    def find_tenant(self, key: str) -> Tenant | None:
        # Hosts spell the account lower-case with '-' for '_' (123456-sb1); ids use '_' (123456_SB1).
        return super().find_tenant(key.replace("-", "_"))

    def locate(self, req: Request) -> Response | None:
        m = _ACCOUNT.match(req.sub_path)
        if not m or m.group("account") in ("services", "app"):
            return None
        tenant = self.find_tenant(m.group("account"))
        if tenant is None:
            return self.sandbox.systems[self.system].error(
                401, "INVALID_LOGIN", f"Invalid login attempt: there is no account {m.group('account')}."
            )
        req.tenant, req.root = tenant.name, f"/netsuite/{m.group('account')}"
        req.sub_path = m.group("rest")
        return None

    def identity(self, tenant: Tenant, base_url: str) -> dict[str, Any]:
        root = f"{base_url}/netsuite/{account_id(tenant)}"
        return {
            "id": account_id(tenant),
            "api_base": root,
            "token_url": f"{root}{TOKEN_PATH}",
            "authorize_url": f"{root}/app/login/oauth2/authorize.nl",
            "tba_realm": account_id(tenant),
        }

    # -- scopes and clients -----------------------------------------------------------------------
    def default_scopes(self) -> list[str]:
        return ["restlets", "rest_webservices", "suite_analytics"]

    def check_client(self, client: Client) -> None:
        hours = client.refresh_token_hours
        if hours is not None and not 1 <= hours <= 720:
            raise OAuthError("invalid_request", "refresh_token_hours must be between 1 and 720")

    def check_certificate(self, cert: Certificate) -> None:
        kind, _, size = cert.key_type.partition(" ")
        if (kind == "RSA" and int(size) not in RSA_BITS) or (kind == "EC" and size not in EC_BITS):
            raise OAuthError(
                "invalid_request",
                f"NetSuite takes RSA keys of 3072 or 4096 bits and EC keys P-256/384/521, "
                f"not {cert.key_type}",
            )

    def check_authorize(self, params: dict[str, str]) -> None:
        if not params.get("scope"):
            raise OAuthError(
                "invalid_request", "scope is required (restlets, rest_webservices, suite_analytics)"
            )
        if not _STATE.match(params.get("state") or ""):
            raise OAuthError("invalid_request", "state must be 22 to 1024 printable characters")

    def refresh_ttl_for(self, client: Client) -> int | None:
        return (client.refresh_token_hours or 168) * 3600

    def allows(self, principal: Principal, req: Request) -> bool:
        return "rest_webservices" in principal.scopes  # REST web services and SuiteQL need this scope

    def redirect_extras(self, tenant: Tenant) -> dict[str, str]:
        return {"role": "3", "entity": "-5", "company": account_id(tenant)}

    # -- client credentials (M2M) with a client assertion -----------------------------------------
    def client_assertion(self, client: Client, form: dict[str, str], req: Request) -> list[str]:
        tenant = self.sandbox.oauth.tenant(client.tenant)
        own = f"{req.base_url}{req.root}{TOKEN_PATH}"
        audiences = [
            own,
            f"{req.base_url}/netsuite/{account_id(tenant)}{TOKEN_PATH}",
            f"https://{account_id(tenant).lower().replace('_', '-')}.suitetalk.api.netsuite.com{TOKEN_PATH}",
        ]
        claims = assertions.verify(
            form["client_assertion"],
            client.certificates,
            algorithms=ASSERTION_ALGORITHMS,
            audiences=audiences,
            issuer=client.client_id,
            require=("iss", "scope", "aud", "exp", "iat"),
            by_kid=True,
            max_lifetime=3600,
        )
        scope = claims.get("scope")
        wanted = scope if isinstance(scope, list) else [s for s in re.split(r"[\s,]+", str(scope or "")) if s]
        if not wanted or any(s not in client.scopes for s in wanted):
            raise OAuthError(
                "invalid_scope", f"scope must be among {', '.join(client.scopes)}", reason="scope_invalid"
            )
        return wanted

    # -- token-based authentication (OAuth 1.0a) --------------------------------------------------
    def oauth1_principal(self, req: Request) -> Principal | None | bool:
        params = oauth1.parse_header(req.header("authorization"))
        if params is None:
            return False
        tenant = self.find_tenant(params.get("realm", ""))
        if tenant is None or (req.tenant and tenant.name != req.tenant):
            return None
        if (
            params.get("oauth_signature_method") != "HMAC-SHA256"
            or params.get("oauth_version", "1.0") != "1.0"
        ):
            return None
        client = self.sandbox.oauth.client(self, params.get("oauth_consumer_key", ""))
        if client is None or client.tenant != tenant.name or "tba" not in client.grants:
            return None
        token = self.sandbox.oauth.tokens.find(params.get("oauth_token", ""), "tba", self.system)
        if token is None or token["client_id"] != client.client_id:
            return None
        try:
            timestamp = int(params.get("oauth_timestamp", ""))
        except ValueError:
            return None
        nonce = params.get("oauth_nonce", "")
        if abs(time.time() - timestamp) > TBA_WINDOW or len(nonce) < 6:
            return None
        signed = [(k, v) for k, values in req.query.items() for v in values]
        if req.header("content-type").split(";")[0].strip() == "application/x-www-form-urlencoded":
            signed += [(k, v) for k, v in req.form().items() if k not in req.query]
        signed += [(k, v) for k, v in params.items() if k not in ("realm", "oauth_signature")]
        base = oauth1.base_string(req.method, f"{req.base_url}{req.raw_path or req.path}", signed)
        if not oauth1.verify(base, params["oauth_signature"], client.secret or "", token["secret"]):
            return None
        if not self._fresh_nonce(client.client_id, token["token"], nonce, timestamp):
            return None  # a replayed request
        return Principal(
            tenant.name,
            self.system,
            client.client_id,
            token.get("subject", ""),
            tuple(token.get("scopes") or ()),
        )

    def _fresh_nonce(self, consumer: str, token: str, nonce: str, timestamp: int) -> bool:
        now = time.time()
        with self._nonce_lock:
            for key in [k for k, t in self._nonces.items() if t < now - 2 * TBA_WINDOW]:
                del self._nonces[key]
            if (consumer, token, nonce) in self._nonces:
                return False
            self._nonces[(consumer, token, nonce)] = timestamp
            return True

    # -- answers ----------------------------------------------------------------------------------
    def token_body(self, issued: Issued, req: Request) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "expires_in": str(issued.expires_in),
            "token_type": "bearer",
        }
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        return body
