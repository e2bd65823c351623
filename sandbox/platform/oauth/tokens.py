"""Access tokens, refresh tokens, authorization codes and NetSuite TBA tokens, persisted in the store's
tokens table (they survive a restart, as a real org's sessions do). Every row names its tenant, system and
client, so a token only ever opens its own tenant's data."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from ..store import NEVER, Store


@dataclass
class Principal:
    """Who a request acts as: the tenant, client and user behind its credentials, and the granted scopes."""

    tenant: str
    system: str
    client_id: str
    subject: str
    scopes: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Issued:
    """What a token endpoint hands out; the AuthProfile shapes it into the vendor's response body."""

    tenant: str
    client_id: str
    subject: str
    grant: str
    scopes: list[str]
    access_token: str
    expires_in: int | None  # None: the token does not expire (Kantata)
    refresh_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Tokens:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- issuing ----------------------------------------------------------------------------------
    def issue(
        self,
        *,
        tenant: str,
        system: str,
        client_id: str,
        subject: str,
        grant: str,
        scopes: list[str],
        ttl: int | None,
        refresh_ttl: int | None | bool = False,
        prefix: str = "",
        data: dict[str, Any] | None = None,
    ) -> Issued:
        """An access token (``ttl`` None: never expires) and, unless ``refresh_ttl`` is False, a refresh
        token valid for ``refresh_ttl`` seconds (None: until revoked)."""
        now = time.time()
        self.store.purge_tokens(now - 86400)
        access = f"{prefix}{secrets.token_urlsafe(40)}"
        meta = {"subject": subject, "scopes": scopes, "grant": grant, "issued_at": now, **(data or {})}
        expires = NEVER if ttl is None else now + ttl
        self.store.save_token(
            access,
            tenant=tenant,
            system=system,
            kind="access",
            client_id=client_id,
            expires_at=expires,
            data=meta,
        )
        refresh = None
        if refresh_ttl is not False:
            refresh = self.issue_refresh(
                tenant=tenant,
                system=system,
                client_id=client_id,
                subject=subject,
                scopes=scopes,
                ttl=refresh_ttl
                if isinstance(refresh_ttl, int) and not isinstance(refresh_ttl, bool)
                else None,
            )
        return Issued(tenant, client_id, subject, grant, scopes, access, ttl, refresh)

    def issue_refresh(
        self, *, tenant: str, system: str, client_id: str, subject: str, scopes: list[str], ttl: int | None
    ) -> str:
        token = f"rt.{secrets.token_urlsafe(40)}"
        now = time.time()
        self.store.save_token(
            token,
            tenant=tenant,
            system=system,
            kind="refresh",
            client_id=client_id,
            expires_at=NEVER if ttl is None else now + ttl,
            data={"subject": subject, "scopes": scopes, "issued_at": now},
        )
        return token

    def issue_code(
        self,
        *,
        tenant: str,
        system: str,
        client_id: str,
        subject: str,
        scopes: list[str],
        redirect_uri: str | None,
        challenge: str | None,
        ttl: int,
    ) -> str:
        code = secrets.token_urlsafe(32)
        self.store.save_token(
            code,
            tenant=tenant,
            system=system,
            kind="code",
            client_id=client_id,
            expires_at=time.time() + ttl,
            data={
                "subject": subject,
                "scopes": scopes,
                "redirect_uri": redirect_uri,
                "challenge": challenge,
                "used": False,
                "issued": [],
            },
        )
        return code

    def issue_tba(
        self, *, tenant: str, system: str, client_id: str, subject: str, scopes: list[str]
    ) -> tuple[str, str]:
        """An OAuth 1.0a token pair (NetSuite TBA: token id, token secret); it lives until revoked."""
        token_id, token_secret = secrets.token_hex(32), secrets.token_hex(32)
        self.store.save_token(
            token_id,
            tenant=tenant,
            system=system,
            kind="tba",
            client_id=client_id,
            expires_at=NEVER,
            data={"subject": subject, "scopes": scopes, "secret": token_secret},
        )
        return token_id, token_secret

    # -- reading ----------------------------------------------------------------------------------
    def find(self, token: str, kind: str, system: str) -> dict[str, Any] | None:
        row = self.store.load_token(token) if token else None
        if row is None or row["kind"] != kind or row["system"] != system:
            return None
        return row

    def mark_code_used(self, code: dict[str, Any], issued: Issued) -> None:
        data = {k: code[k] for k in ("subject", "scopes", "redirect_uri", "challenge")}
        data.update(used=True, issued=[t for t in (issued.access_token, issued.refresh_token) if t])
        self.store.save_token(
            code["token"],
            tenant=code["tenant"],
            system=code["system"],
            kind="code",
            client_id=code["client_id"],
            expires_at=code["expires_at"],
            data=data,
        )

    def revoke(self, tokens: list[str]) -> None:
        self.store.delete_tokens(tokens)

    def principal(self, system: str, token: str) -> Principal | None:
        """The principal of a valid (unexpired) access token of ``system``."""
        row = self.find(token, "access", system)
        if row is None or row["expires_at"] < time.time():
            return None
        return self.to_principal(row)

    @staticmethod
    def to_principal(row: dict[str, Any]) -> Principal:
        return Principal(
            tenant=row["tenant"],
            system=row["system"],
            client_id=row["client_id"],
            subject=row.get("subject", ""),
            scopes=tuple(row.get("scopes") or ()),
            data={k: v for k, v in row.items() if k not in ("token", "subject", "scopes")},
        )

    def tenant_of(self, token: str) -> str | None:
        """The tenant a token belongs to, valid or not (to route faults and limits before auth)."""
        row = self.store.load_token(token) if token else None
        return row["tenant"] if row else None

    def expire_all(self, system: str | None = None, tenant: str | None = None) -> int:
        return self.store.expire_tokens(system, tenant)
