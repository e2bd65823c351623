"""Bearer tokens issued by each system's token endpoint; persisted so they survive a restart."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass

from ..config import SandboxConfig
from .messages import Request
from .store import Store


@dataclass
class Grant:
    access_token: str
    refresh_token: str | None
    expires_in: int
    subject: str


class AuthError(Exception):
    """Token endpoint refusal: (oauth error code, description)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class Tokens:
    def __init__(self, store: Store, config: SandboxConfig) -> None:
        self.store = store
        self.config = config

    def client_credentials(self, req: Request, form: dict[str, str]) -> tuple[str, str]:
        """client_id/secret from the form or HTTP Basic, as OAuth 2 servers accept both."""
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        basic = req.header("authorization")
        if basic.lower().startswith("basic "):
            try:
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise AuthError("invalid_client", "malformed Basic credentials") from None
        return client_id, secret

    def check_client(self, client_id: str, secret: str) -> None:
        if client_id != self.config.client_id or not secrets.compare_digest(
            secret.encode(), self.config.client_secret.encode()
        ):
            raise AuthError("invalid_client", "invalid client credentials")

    def grant(self, system: str, req: Request, *, refresh: bool = True) -> Grant:
        """Handle the standard grants. Assertion-based M2M (NetSuite) is accepted on the client id alone."""
        form = req.form()
        grant_type = form.get("grant_type", "")
        client_id, secret = self.client_credentials(req, form)
        if grant_type == "refresh_token":
            old = form.get("refresh_token", "")
            row = self.store.load_token(old) if old else None
            if not row or row[0] != system or row[1] != "refresh":
                raise AuthError("invalid_grant", "expired access/refresh token")
            return self._issue(system, row[3], refresh_token=old)
        if grant_type == "client_credentials":
            if form.get("client_assertion"):
                if not form.get("client_assertion_type"):
                    raise AuthError("invalid_request", "client_assertion_type is required")
                return self._issue(system, "integration", with_refresh=False)
            self.check_client(client_id, secret)
            return self._issue(system, "integration", with_refresh=False)
        if grant_type == "authorization_code":
            # The sandbox auto-approves every authorization code (see the authorize endpoints).
            if not form.get("code"):
                raise AuthError("invalid_grant", "authorization code is required")
            self.check_client(client_id, secret)
            return self._issue(system, "user", with_refresh=refresh)
        if grant_type == "password":
            self.check_client(client_id, secret)
            return self._issue(system, form.get("username") or "user", with_refresh=False)
        raise AuthError("unsupported_grant_type", f"grant type not supported: {grant_type or '(none)'}")

    def _issue(
        self, system: str, subject: str, *, with_refresh: bool = True, refresh_token: str | None = None
    ) -> Grant:
        ttl = int(self.config.token_ttl)
        access = f"{system[:2]}.{secrets.token_urlsafe(24)}"
        if system == "salesforce":
            access = f"00DSANDBOX000001!{secrets.token_urlsafe(40)}"
        now = time.time()
        self.store.purge_tokens(now - 86400)
        self.store.save_token(access, system, "access", now + ttl, subject)
        if refresh_token is None and with_refresh:
            refresh_token = f"rt.{secrets.token_urlsafe(32)}"
            self.store.save_token(refresh_token, system, "refresh", now + 365 * 86400, subject)
        return Grant(access, refresh_token, ttl, subject)

    def check(self, system: str, req: Request) -> str | None:
        """Return the token's subject when the bearer token is valid for this system, else None."""
        header = req.header("authorization")
        if not header.lower().startswith(("bearer ", "oauth ")):
            return None
        token = header.split(" ", 1)[1].strip()
        row = self.store.load_token(token)
        if not row or row[0] != system or row[1] != "access" or row[2] < time.time():
            return None
        return row[3]

    def expire_all(self, system: str | None = None) -> int:
        return self.store.expire_tokens(system)
