"""The connector SDK: how a connector declares itself, and the runtime handle its actions run with.

A connector is declarative (as in Airflow providers and Saleor plugins): a :class:`Connector` subclass
states key, name, icon, category, version, credential types, a config JSON Schema, and a tuple of
:class:`Action` and :class:`Trigger` objects. Construction does no I/O. Work happens only inside
``Action.run`` / ``Trigger.poll``, which receive an :class:`ActionContext` holding a ready
:class:`~connectors.http.client.SafeClient` (credentials applied to the connection's own host only).

Executors and Celery tasks pass a connection id and small JSON; the worker builds the runtime handle
with :func:`open_connection` from secrets it decrypts itself, so secrets never cross a process boundary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from connectors.errors import ConnectorError, HTTPStatusError, InvalidInput

from .http.auth import (
    ApiKeyAuth,
    Auth,
    BasicAuth,
    BearerAuth,
    NoAuth,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
    ReconnectListener,
    TokenSet,
)
from .http.client import SafeClient, SafeResponse
from .http.egress import DEFAULT_POLICY, EgressPolicy
from .http.oauth_code import OAuth2AuthorizationCode
from .http.ratelimit import RateLimit, RateLimiter

if TYPE_CHECKING:
    from .canonical.fields import Mapper

CATEGORIES = ("CRM", "PSA", "ERP", "Generic")
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
JSON = Any
OBJECT_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}

logger = logging.getLogger("connectors")


# --- credential types ----------------------------------------------------------------------------------


# Secrets a Connect (authorization code) stores in the vault beside the typed fields; never typed in.
TOKEN_FIELDS = ("access_token", "refresh_token", "expires_at")


@dataclass(frozen=True)
class AuthorizationCodeGrant:
    """How a credential type gets consent in the browser (OAuth 2.0 authorization code with PKCE).

    The URLs are functions of the typed credential values and the connection config (with ``base_url``
    resolved by the connector), so a system whose hosts follow from an account id derives them.
    """

    authorize_url: Callable[[Mapping[str, Any], Mapping[str, Any]], str]
    token_url: Callable[[Mapping[str, Any], Mapping[str, Any]], str]
    default_scope: str = ""
    auth_method: str = "client_secret_post"  # how the token request authenticates the client
    pkce: bool = True
    extra_params: Mapping[str, str] = field(default_factory=dict)
    # Seconds a refresh token lives, where the system documents a fixed lifetime (NetSuite: 7 days);
    # the connection then warns before it runs out. None: unknown or sliding.
    refresh_token_lifetime_s: float | None = None
    # The token response field naming the instance the API lives on (Salesforce ``instance_url``).
    instance_url_field: str = ""
    # How the typed scope is written into the authorize URL (NetSuite: space separated).
    format_scope: Callable[[str], str] | None = field(default=None, repr=False)

    def scope(self, values: Mapping[str, Any]) -> str | None:
        scope = str(values.get("scope") or self.default_scope)
        if scope and self.format_scope is not None:
            scope = self.format_scope(scope)
        return scope or None


@dataclass(frozen=True)
class CredentialType:
    """How a connection authenticates. ``schema`` lists the fields (secret ones ``"writeOnly": true``,
    which the API never returns); ``build`` turns decrypted field values into an :class:`Auth`.

    ``authorization`` marks a type whose tokens come from a person's consent in the browser (the
    "Connect" button): its access and refresh tokens (:data:`TOKEN_FIELDS`) are stored by the
    credentials app, never typed in. ``wants_config``: ``build`` also receives ``config=`` (the
    connection's settings with ``base_url`` resolved), for types whose endpoints follow from them.
    """

    key: str
    label: str
    schema: dict[str, Any]
    build: Callable[..., Auth] = field(repr=False)
    description: str = ""
    authorization: AuthorizationCodeGrant | None = field(default=None, repr=False)
    wants_config: bool = False

    def secret_fields(self) -> list[str]:
        props = self.schema.get("properties", {})
        return [name for name, spec in props.items() if spec.get("writeOnly")]

    def token_fields(self) -> tuple[str, ...]:
        return TOKEN_FIELDS if self.authorization is not None else ()

    def url_fields(self) -> list[str]:
        """Fields naming an endpoint (``format: uri``): credentials are sent there."""
        props = self.schema.get("properties", {})
        return [name for name, spec in props.items() if spec.get("format") == "uri"]

    def make_auth(
        self,
        values: Mapping[str, Any],
        *,
        on_token: Callable[[TokenSet], None] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Auth:
        typed = {k: v for k, v in values.items() if k not in self.token_fields()}
        errors = sorted(Draft202012Validator(self.schema).iter_errors(typed), key=str)
        if errors:
            # Name the field, never echo the value: it may be a secret.
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(credentials)"
            raise InvalidInput(
                f"Credentials for {self.label} are incomplete or invalid at {where}.",
                hint="Edit the connection and fill in every required field.",
            )
        if self.wants_config:
            return self.build(values, on_token=on_token, config=dict(config or {}))
        return self.build(values, on_token=on_token)

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "description": self.description,
            "schema": self.schema,
            "connect": self.authorization is not None,
        }


def authorization_code_type(
    key: str,
    label: str,
    schema: dict[str, Any],
    grant: AuthorizationCodeGrant,
    *,
    description: str = "",
) -> CredentialType:
    """A credential type authorised with the Connect button: ``schema`` holds what a person types
    (client id, secret, scope, endpoint overrides); the tokens come from the consent."""

    def build(
        values: Mapping[str, Any],
        *,
        on_token: Callable[[TokenSet], None] | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> Auth:
        expires = values.get("expires_at")
        return OAuth2AuthorizationCode(
            grant.token_url(values, config or {}),
            str(values.get("client_id") or ""),
            str(values.get("client_secret") or ""),
            access_token=values.get("access_token") or None,
            expires_at=float(expires) if isinstance(expires, int | float) else None,
            refresh_token=values.get("refresh_token") or None,
            auth_method=grant.auth_method,
            on_token=on_token,
        )

    return CredentialType(
        key=key,
        label=label,
        schema=schema,
        build=build,
        description=description,
        authorization=grant,
        wants_config=True,
    )


def _secret(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "writeOnly": True, "minLength": 1}


NO_AUTH = CredentialType(
    key="none",
    label="No authentication",
    schema={"type": "object", "properties": {}},
    build=lambda values, **_: NoAuth(),
)
API_KEY = CredentialType(
    key="api_key",
    label="API key",
    schema={
        "type": "object",
        "required": ["api_key"],
        "properties": {
            "api_key": _secret("API key"),
            "name": {"type": "string", "title": "Header or parameter name", "default": "X-API-Key"},
            "location": {"type": "string", "enum": ["header", "query"], "default": "header"},
            "prefix": {"type": "string", "title": "Value prefix (e.g. 'Token ')", "default": ""},
        },
    },
    build=lambda v, **_: ApiKeyAuth(
        v["api_key"],
        name=v.get("name") or "X-API-Key",
        location=v.get("location") or "header",
        prefix=v.get("prefix") or "",
    ),
)
BASIC = CredentialType(
    key="basic",
    label="Username and password",
    schema={
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string", "title": "Username"}, "password": _secret("Password")},
    },
    build=lambda v, **_: BasicAuth(v["username"], v["password"]),
)
BEARER = CredentialType(
    key="bearer",
    label="Bearer token",
    schema={"type": "object", "required": ["token"], "properties": {"token": _secret("Token")}},
    build=lambda v, **_: BearerAuth(v["token"]),
)
_OAUTH_FIELDS: dict[str, Any] = {
    "token_url": {"type": "string", "title": "Token URL", "format": "uri"},
    "client_id": {"type": "string", "title": "Client ID"},
    "client_secret": {**_secret("Client secret"), "minLength": 0},
    "scope": {"type": "string", "title": "Scope"},
    "auth_method": {
        "type": "string",
        "enum": ["client_secret_post", "client_secret_basic"],
        "default": "client_secret_post",
    },
}


def _oauth_kwargs(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "scope": v.get("scope") or None,
        "auth_method": v.get("auth_method") or "client_secret_post",
    }


OAUTH2_CLIENT_CREDENTIALS = CredentialType(
    key="oauth2_client_credentials",
    label="OAuth 2.0 (client credentials)",
    schema={"type": "object", "required": ["token_url", "client_id"], "properties": dict(_OAUTH_FIELDS)},
    build=lambda v, on_token=None: OAuth2ClientCredentials(
        v["token_url"], v["client_id"], v.get("client_secret", ""), on_token=on_token, **_oauth_kwargs(v)
    ),
)
OAUTH2_REFRESH_TOKEN = CredentialType(
    key="oauth2_refresh_token",
    label="OAuth 2.0 (refresh token)",
    schema={
        "type": "object",
        "required": ["token_url", "client_id", "refresh_token"],
        "properties": {**_OAUTH_FIELDS, "refresh_token": _secret("Refresh token")},
    },
    build=lambda v, on_token=None: OAuth2RefreshToken(
        v["token_url"],
        v["client_id"],
        v.get("client_secret", ""),
        refresh_token=v["refresh_token"],
        on_token=on_token,
        **_oauth_kwargs(v),
    ),
    description="A rotated refresh token is handed to on_token so it can be stored again (encrypted).",
)
OAUTH2_AUTHORIZATION_CODE = authorization_code_type(
    "oauth2_authorization_code",
    "OAuth 2.0 (Connect: authorization code)",
    {
        "type": "object",
        "required": ["authorize_url", "token_url", "client_id"],
        "properties": {
            "authorize_url": {"type": "string", "title": "Authorization URL", "format": "uri"},
            "token_url": _OAUTH_FIELDS["token_url"],
            "client_id": _OAUTH_FIELDS["client_id"],
            "client_secret": _OAUTH_FIELDS["client_secret"],
            "scope": _OAUTH_FIELDS["scope"],
        },
    },
    AuthorizationCodeGrant(
        authorize_url=lambda v, c: str(v["authorize_url"]),
        token_url=lambda v, c: str(v["token_url"]),
    ),
    description="Click Connect and approve access in the system's own page; tokens are stored encrypted "
    "and renewed before they expire.",
)
STANDARD_CREDENTIAL_TYPES = (
    API_KEY,
    BASIC,
    BEARER,
    OAUTH2_CLIENT_CREDENTIALS,
    OAUTH2_REFRESH_TOKEN,
    OAUTH2_AUTHORIZATION_CODE,
)


@dataclass(frozen=True)
class ApiUsage:
    """API calls used of the allowance in the system's current window (e.g. Salesforce's 24 hours)."""

    used: int
    limit: int


# --- actions and triggers ------------------------------------------------------------------------------


@dataclass
class ActionContext:
    """What an action or trigger may use. No ORM, no secrets: credentials live inside ``http``."""

    connection_id: str
    config: Mapping[str, Any]  # the connection's non-secret config (base URL, instance, options)
    http: SafeClient
    idempotency_key: str | None = None  # stable per (run, node, item): send it on writes
    heartbeat: Callable[[], None] = lambda: None
    log: logging.Logger = logger


@dataclass(frozen=True)
class Action:
    """One operation. ``mode="item"``: ``run(ctx, params) -> dict | list[dict]`` per input item.
    ``mode="batch"``: ``run(ctx, [params, ...]) -> list[dict]`` with up to ``batch_size`` items.

    A read that pages (a query, a list) may return an iterator of records that fetches the next page
    only when it is read: the node streams them into its output a chunk at a time
    (:meth:`ConnectionRuntime.stream_action`), every other caller gets the list (:meth:`run_action`)."""

    key: str
    name: str
    run: Callable[[ActionContext, Any], Any] = field(repr=False)
    input_schema: dict[str, Any] = field(default_factory=lambda: dict(OBJECT_SCHEMA))
    output_schema: dict[str, Any] = field(default_factory=lambda: dict(OBJECT_SCHEMA))
    description: str = ""
    writes: bool = False  # True: side effects in the remote system (create/update/delete)
    mode: Literal["item", "batch"] = "item"
    # The object this action always works on (per-object actions); empty: the ``sobject``/``collection``/
    # ``record_type``/``entity_set`` parameter names it. Echo suppression marks writes by object.
    record_object: str = ""
    batch_size: int = 100
    icon: str = ""
    docs: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "writes": self.writes,
            "mode": self.mode,
            "batch_size": self.batch_size,
            "input_schema": self.input_schema,
            "output_schema": self.output_schema,
        }


@dataclass(frozen=True)
class RecordRef:
    """Which record a polled item (or a write) is, and which version of it: what deduplication and echo
    suppression compare. ``version`` is the system's own (a last-modified time as the poll formats it, or
    an etag); ``modified_at`` is that time when the version is one (None otherwise)."""

    object: str
    id: str
    version: str = ""
    modified_at: datetime | None = None

    @property
    def key(self) -> str:
        return f"{self.object}:{self.id}"


@dataclass(frozen=True)
class PollResult:
    """New items since ``cursor``, and the cursor to store for next time (small JSON). ``refs``, when
    given, has one :class:`RecordRef` per item (same order): the scheduler uses them to start one run per
    record version and to skip the changes our own writes caused. ``held`` counts records seen but not
    emitted yet because their timestamp has not settled (``connectors.polling``): the next poll comes at
    the trigger's interval, not after an idle back-off."""

    items: list[dict[str, Any]]
    cursor: JSON = None
    refs: list[RecordRef] | None = None
    held: int = 0


@dataclass(frozen=True)
class Trigger:
    """A polling trigger: ``poll(ctx, config, cursor) -> PollResult``; the scheduler stores the cursor."""

    key: str
    name: str
    poll: Callable[[ActionContext, Mapping[str, Any], JSON], PollResult] = field(repr=False)
    config_schema: dict[str, Any] = field(default_factory=lambda: dict(OBJECT_SCHEMA))
    output_schema: dict[str, Any] = field(default_factory=lambda: dict(OBJECT_SCHEMA))
    description: str = ""
    default_interval_s: int = 300

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "description": self.description,
            "config_schema": self.config_schema,
            "output_schema": self.output_schema,
            "default_interval_s": self.default_interval_s,
        }


# --- the connector declaration ------------------------------------------------------------------------


class Connector:
    """Subclass and declare class attributes; override the small hooks only when the system needs it."""

    key: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]  # one of CATEGORIES
    icon: ClassVar[str] = "plug"
    version: ClassVar[str] = "1.0.0"
    description: ClassVar[str] = ""
    docs: ClassVar[str] = ""
    credential_types: ClassVar[tuple[CredentialType, ...]] = (NO_AUTH,)
    config_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["base_url"],
        "properties": {"base_url": {"type": "string", "title": "Base URL", "format": "uri"}},
    }
    actions: ClassVar[tuple[Action, ...]] = ()
    triggers: ClassVar[tuple[Trigger, ...]] = ()
    # This system's records <-> the canonical entities (connectors.canonical), usually from the
    # connector folder's canonical.py; the canonical mapper registry is filled from these.
    canonical_mappings: ClassVar[tuple[Mapper, ...]] = ()
    # The default budget per connection, shared by every flow and worker using it.
    rate_limit: ClassVar[RateLimit] = RateLimit(rate=10.0, burst=20, max_concurrency=8)
    # Overrides of SafeClient options (timeout, deadline, max_response_bytes, retries, ...).
    http_options: ClassVar[Mapping[str, Any]] = {}

    def base_url(self, config: Mapping[str, Any]) -> str:
        return str(config["base_url"])

    def rate_limit_key(self, config: Mapping[str, Any], connection_id: str) -> str:
        """The budget a connection draws from: its own by default. A system that limits per account or
        tenant (NetSuite's concurrency governance) keys it by that, so every connection to it shares one."""
        return f"connection:{connection_id}"

    def auth_origins(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        """Extra origins (besides base_url) that may receive credentials, e.g. an API sub-domain."""
        return ()

    def default_headers(self, config: Mapping[str, Any]) -> dict[str, str]:
        return {"Accept": "application/json"}

    def api_usage(self, response: SafeResponse) -> ApiUsage | None:
        """The system's API usage as a response reports it (Salesforce ``Sforce-Limit-Info``), or None."""
        return None

    def test_connection(self, ctx: ActionContext) -> tuple[bool, str]:
        """(ok, message): :meth:`probe`'s message, or the message and hint of the error it raised."""
        try:
            return True, self.probe(ctx)
        except ConnectorError as exc:
            return False, exc.message_with_hint()

    def probe(self, ctx: ActionContext) -> str:
        """One cheap authenticated call that proves the connection works; returns what to tell the user
        and raises a ConnectorError otherwise. Default: a GET of the base URL must not fail."""
        response = ctx.http.get("", raise_for_status=False, retries=0)
        if not response.ok:
            raise HTTPStatusError(f"The system answered HTTP {response.status}.", status=response.status)
        return f"Connected ({response.status})."

    #: Kinds of setup records :meth:`find_references` looks up (empty: this connector cannot check ids).
    reference_kinds: tuple[str, ...] = ()

    def find_references(self, ctx: ActionContext, kind: str, keys: Sequence[str]) -> dict[str, str]:
        """Which of ``keys`` (ids or codes of setup records of ``kind``: item, tax_code, currency,
        subsidiary, company ...) exist in the system: key -> display name, missing keys left out. A
        template's parameters naming ERP records are checked with it when the template is cloned."""
        raise ConnectorError(f"{self.name} cannot look up {kind} records.", hint="Check the values by hand.")

    def record_versions(self, ctx: ActionContext, obj: str, ids: Sequence[str]) -> dict[str, str]:
        """The current version (last-modified time as the polling trigger reads it) of records just
        written, for systems whose write answers carry none: echo suppression marks the exact version
        our write made, so a person's change a second later is still news. Default: unknown ({})."""
        return {}

    def action(self, key: str) -> Action:
        for action in self.actions:
            if action.key == key:
                return action
        raise ConnectorError(f"Connector {self.key!r} has no action {key!r}.", hint="Update the flow.")

    def trigger(self, key: str) -> Trigger:
        for trigger in self.triggers:
            if trigger.key == key:
                return trigger
        raise ConnectorError(f"Connector {self.key!r} has no trigger {key!r}.", hint="Update the flow.")

    def credential_type(self, key: str) -> CredentialType:
        for ctype in self.credential_types:
            if ctype.key == key:
                return ctype
        raise InvalidInput(
            f"Connector {self.key!r} does not support credential type {key!r}.",
            hint="Pick one of: " + ", ".join(c.key for c in self.credential_types),
        )

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "category": self.category,
            "icon": self.icon,
            "version": self.version,
            "description": self.description,
            "config_schema": self.config_schema,
            "credential_types": [c.describe() for c in self.credential_types],
            "actions": [a.describe() for a in self.actions],
            "triggers": [t.describe() for t in self.triggers],
        }

    def __repr__(self) -> str:
        return f"<Connector {getattr(self, 'key', '?')} {getattr(self, 'version', '')}>"


def object_schema(required: list[str], **props: Any) -> dict[str, Any]:
    """A closed JSON Schema object (action inputs): these properties, ``required`` of them."""
    return {"type": "object", "required": required, "additionalProperties": False, "properties": props}


def check_connector(connector: Connector) -> list[str]:
    """Problems with a declaration (empty list: fine). The registry refuses a connector with any."""
    problems: list[str] = []
    for attr in ("key", "name", "category"):
        if not isinstance(getattr(connector, attr, None), str) or not getattr(connector, attr):
            problems.append(f"missing {attr}")
    if problems:
        return problems
    if not KEY_PATTERN.match(connector.key):
        problems.append(f"key {connector.key!r} must match {KEY_PATTERN.pattern}")
    if connector.category not in CATEGORIES:
        problems.append(f"category {connector.category!r} must be one of {CATEGORIES}")
    schemas: list[tuple[str, Mapping[str, Any]]] = [("config_schema", connector.config_schema)]
    schemas += [(f"credential type {c.key}", c.schema) for c in connector.credential_types]
    for kind, items in (("action", connector.actions), ("trigger", connector.triggers)):
        keys = [i.key for i in items]
        for dup in sorted({k for k in keys if keys.count(k) > 1}):
            problems.append(f"duplicate {kind} key {dup!r}")
        for item in items:
            if not KEY_PATTERN.match(item.key):
                problems.append(f"{kind} key {item.key!r} must match {KEY_PATTERN.pattern}")
            if not callable(getattr(item, "run" if kind == "action" else "poll")):
                problems.append(f"{kind} {item.key!r} has nothing to run")
            for name in ("input_schema", "output_schema", "config_schema"):
                if hasattr(item, name):
                    schemas.append((f"{kind} {item.key} {name}", getattr(item, name)))
    for mapper in connector.canonical_mappings:
        system, entity = getattr(mapper, "system", None), getattr(mapper, "entity", "?")
        if system != connector.key:
            problems.append(f"canonical mapping of {entity!r} names system {system!r}, not {connector.key!r}")
    for action in connector.actions:
        if action.mode not in ("item", "batch") or action.batch_size < 1:
            problems.append(f"action {action.key!r}: mode must be item|batch and batch_size >= 1")
        if action.input_schema.get("type") != "object":
            problems.append(f"action {action.key!r}: input_schema must be an object schema")
        if "connection" in action.input_schema.get("properties", {}):
            problems.append(f"action {action.key!r}: 'connection' is a reserved input name")
    for where, schema in schemas:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            problems.append(f"{where} is not a valid JSON Schema: {exc.message}")
    return problems


# --- the runtime handle ---------------------------------------------------------------------------------


def validate(schema: Mapping[str, Any], value: Any, *, what: str) -> None:
    """Raise InvalidInput naming the first failing field (values are not echoed: they may be secret)."""
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise InvalidInput(f"{what} is invalid at {where}: {first.message}", hint="Fix the mapped fields.")


class ConnectionRuntime:
    """A live connection in a worker: what ``NodeContext.connection(connection_id)`` returns.

    Holds the connector, the non-secret config and a SafeClient with the credentials inside. The
    node adapter only needs ``connector_key`` and :meth:`run_action`.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        connection_id: str,
        config: Mapping[str, Any],
        http: SafeClient,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> None:
        self.connector = connector
        self.connection_id = connection_id
        self.config = dict(config)
        self.http = http
        self.heartbeat = heartbeat

    @property
    def connector_key(self) -> str:
        return self.connector.key

    def context(self, idempotency_key: str | None = None) -> ActionContext:
        return ActionContext(
            connection_id=self.connection_id,
            config=self.config,
            http=self.http,
            idempotency_key=idempotency_key,
            heartbeat=self.heartbeat,
        )

    def run_action(
        self,
        action_key: str,
        payload: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        idempotency_key: str | None = None,
    ) -> Any:
        """Validate ``payload`` (one params dict, or a list for batch actions) and run the action."""
        action = self.connector.action(action_key)
        what = f"{self.connector.name} / {action.name} input"
        if action.mode == "batch":
            if isinstance(payload, Mapping):
                payload = [payload]
            batch = [dict(p) for p in payload]
            for index, params in enumerate(batch):
                validate(action.input_schema, params, what=f"{what} #{index}")
            result = action.run(self.context(idempotency_key), batch)
            if not isinstance(result, list):
                raise ConnectorError(f"{action.name} returned {type(result).__name__}, expected a list.")
            return result
        result = self._run_one(action, payload, idempotency_key)
        return list(result) if isinstance(result, Iterator) else result

    def stream_action(self, action_key: str, payload: Mapping[str, Any]) -> Any:
        """Like :meth:`run_action` for an item-mode read, but a paging action's records come as an
        iterator: the next page is fetched as the caller reads, so memory holds one page, not the result."""
        action = self.connector.action(action_key)
        if action.writes or action.mode != "item":
            raise ValueError(f"{action.name} is not a read of one item: run it with run_action.")
        return self._run_one(action, payload, None)

    def _run_one(self, action: Action, payload: Any, idempotency_key: str | None) -> Any:
        what = f"{self.connector.name} / {action.name} input"
        if not isinstance(payload, Mapping):
            raise InvalidInput(f"{what} must be an object.")
        params = dict(payload)
        validate(action.input_schema, params, what=what)
        return action.run(self.context(idempotency_key), params)

    def find_references(self, kind: str, keys: Sequence[str]) -> dict[str, str]:
        """See :meth:`Connector.find_references`."""
        return self.connector.find_references(self.context(), kind, keys)

    def record_versions(self, obj: str, ids: Sequence[str]) -> dict[str, str]:
        """See :meth:`Connector.record_versions`: id -> version of records this connection just wrote."""
        return self.connector.record_versions(self.context(), obj, ids)

    def poll(self, trigger_key: str, config: Mapping[str, Any], cursor: JSON = None) -> PollResult:
        trigger = self.connector.trigger(trigger_key)
        validate(trigger.config_schema, dict(config), what=f"{self.connector.name} / {trigger.name} config")
        return trigger.poll(self.context(), dict(config), cursor)

    def test_connection(self) -> tuple[bool, str]:
        """Never raises for remote problems: the message is shown to the user as is."""
        try:
            return self.connector.test_connection(self.context())
        except ConnectorError as exc:  # a connector overriding test_connection may still raise
            return False, exc.message_with_hint()

    def close(self) -> None:
        self.http.close()


def open_connection(
    connector: Connector,
    *,
    connection_id: str,
    config: Mapping[str, Any],
    credential_type: str,
    secrets: Mapping[str, Any],
    policy: EgressPolicy = DEFAULT_POLICY,
    rate_limiter: RateLimiter | None = None,
    on_token: Callable[[TokenSet], None] | None = None,
    on_reconnect: ReconnectListener | None = None,
    on_usage: Callable[[ApiUsage], None] | None = None,
    heartbeat: Callable[[], None] = lambda: None,
    **client_options: Any,
) -> ConnectionRuntime:
    """Build the runtime handle in the worker from decrypted credential values. Does no network I/O.

    The budget (rate limit and concurrency) is keyed by :meth:`Connector.rate_limit_key` (the connection,
    unless the system limits per account) so every flow and worker using it shares it (with a Redis
    limiter). ``on_token`` receives every token the auth obtains (to store a rotated refresh token),
    ``on_reconnect`` hears when the grant is gone (a refused refresh token), ``on_usage`` each API usage a
    response reports.
    """
    validate(connector.config_schema, dict(config), what=f"{connector.name} connection config")
    resolved = {**config, "base_url": connector.base_url(config)}
    auth = connector.credential_type(credential_type).make_auth(secrets, on_token=on_token, config=resolved)
    auth.reconnect_listener = on_reconnect
    options: dict[str, Any] = {**connector.http_options, **client_options}
    http = SafeClient(
        policy=policy,
        base_url=connector.base_url(config),
        auth=auth,
        auth_origins=connector.auth_origins(config),
        rate_limiter=rate_limiter,
        rate_limit_key=connector.rate_limit_key(config, connection_id),
        rate_limit=connector.rate_limit,
        default_headers=connector.default_headers(config),
        **options,
    )
    if on_usage is not None:

        def observe(response: SafeResponse) -> None:
            usage = connector.api_usage(response)
            if usage is not None:
                on_usage(usage)

        http.response_observers.append(observe)
    return ConnectionRuntime(
        connector, connection_id=connection_id, config=config, http=http, heartbeat=heartbeat
    )


def as_connector(obj: Connector | type[Connector]) -> Connector:
    """Accept a Connector subclass or instance (entry points may name either)."""
    if isinstance(obj, type) and issubclass(obj, Connector):
        return obj()
    if isinstance(obj, Connector):
        return obj
    raise ConnectorError(f"{obj!r} is not a Connector subclass or instance.")
