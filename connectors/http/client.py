"""The one safe HTTP client every connector and the HTTP node use for outbound calls.

Per request: the SSRF guard checks the URL and pins a resolved address; we connect to that address only
(a pinned urllib3 connection keeps the Host header and TLS SNI/certificate checks for the name);
redirects are followed by hand (max 5) and every hop is checked again; credentials go only to the
connection's own origin; bodies are streamed and cut at a size cap; secrets are redacted from logs and
errors; retries use exponential backoff with jitter and honour ``Retry-After`` up to a cap, otherwise
the error carries ``retry_after`` so the executor schedules the next attempt in the database rather
than sleeping in a worker. ``retries=0`` hands all retrying to the caller.
"""

from __future__ import annotations

import io
import logging
import random
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from json import JSONDecodeError
from json import loads as json_loads
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from connectors.errors import (
    AuthError,
    ConflictError,
    ConnectorError,
    DeadlineExceeded,
    InvalidInput,
    NotFound,
    RateLimited,
    ResponseTooLarge,
    TLSError,
    TransientHTTPError,
)

from .auth import Auth
from .egress import DEFAULT_POLICY, EgressPolicy, Target
from .errors import EXCERPT_CHARS, TRANSIENT_STATUSES, error_class, error_for_status, parse_retry_after
from .ratelimit import RateLimit, RateLimiter
from .redact import Redactor

logger = logging.getLogger("connectors.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# For POST/PATCH without an Idempotency-Key only these mean "not processed, safe to resend".
RETRY_STATUSES_UNSAFE = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
USER_AGENT = "Flowbuilder/0.1 (+safe-client)"
# What to tell the user per error class when the caller asked the client to raise for the status.
STATUS_HINTS: dict[type[ConnectorError], str] = {
    AuthError: "Check the connection's credentials and the user's permissions in that system.",
    NotFound: "Check the record id or path.",
    ConflictError: "The record changed or already exists.",
    RateLimited: "The system is rate limiting; the step will retry.",
    TransientHTTPError: "The system had a passing problem; retry later.",
}
REFUSED_HINT = "The system rejected the request; check mapped fields."
_CHUNK = 16 * 1024


# --- connecting to the pinned address --------------------------------------------------------------


class _PinnedMixin:
    """Connect to the checked IP instead of resolving ``host`` again (no DNS rebinding window)."""

    _pinned_ip: str
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self._pinned_ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in self.socket_options or ():
                sock.setsockopt(*option)
            # Headers and body go out as separate writes: without NODELAY, Nagle plus the peer's delayed
            # ACK stalls every request with a body by ~40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if isinstance(self.timeout, int | float):
                sock.settimeout(self.timeout)
            if self.source_address:
                sock.bind(self.source_address)
            sock.connect((self._pinned_ip, self.port))
        except TimeoutError as exc:
            sock.close()
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from exc
        except OSError as exc:
            sock.close()
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    def __init__(self, *args: Any, pinned_ip: str, **kwargs: Any) -> None:
        self._pinned_ip = pinned_ip
        super().__init__(*args, **kwargs)


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    def __init__(self, *args: Any, pinned_ip: str, **kwargs: Any) -> None:
        self._pinned_ip = pinned_ip
        super().__init__(*args, **kwargs)


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection

    def __init__(self, *args: Any, pinned_ip: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn_kw["pinned_ip"] = pinned_ip


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection

    def __init__(self, *args: Any, pinned_ip: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn_kw["pinned_ip"] = pinned_ip


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes to one pre-checked IP address."""

    def __init__(self, pinned_ip: str, **kwargs: Any) -> None:
        self.pinned_ip = pinned_ip  # set before super().__init__, which builds the pool manager
        super().__init__(max_retries=0, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        ip = self.pinned_ip
        self.poolmanager.pool_classes_by_scheme = {
            "http": lambda host, port=None, **kw: _PinnedHTTPPool(host, port, pinned_ip=ip, **kw),
            "https": lambda host, port=None, **kw: _PinnedHTTPSPool(host, port, pinned_ip=ip, **kw),
        }

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise ConnectorError("Proxies are not supported by the safe client.")


# --- responses and helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SafeResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str  # final URL after redirects, redacted
    elapsed: float = 0.0
    history: tuple[str, ...] = field(default=())  # redacted URLs of earlier hops
    # A body larger than the request's spool_body_over is here (a temporary file) and ``body`` is empty.
    body_file: IO[bytes] | None = None

    def open_body(self) -> IO[bytes]:
        """The body as a binary file from its start, wherever it is kept (read large ones incrementally)."""
        if self.body_file is None:
            return io.BytesIO(self.body)
        self.body_file.seek(0)
        return self.body_file

    def _all_bytes(self) -> bytes:
        return self.body if self.body_file is None else self.open_body().read()

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def text(self) -> str:
        return self._all_bytes().decode(_charset(self.headers), errors="replace")

    def json(self) -> Any:
        body = self._all_bytes()
        if not body:
            return None
        try:
            return json_loads(body)
        except (JSONDecodeError, UnicodeDecodeError) as exc:
            kind = self.headers.get("Content-Type", "no content type")
            raise ConnectorError(
                f"Expected JSON from {self.url} but got {kind}.",
                hint="Check the URL and that the endpoint returns JSON.",
            ) from exc


def _charset(headers: Mapping[str, str]) -> str:
    content_type = headers.get("Content-Type", "")
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return "utf-8"


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower().rstrip("."),
        parts.port or (443 if scheme == "https" else 80),
    )


class _TransportFailure(Exception):
    """Internal: a transport error plus whether the request may have reached the server."""

    def __init__(self, error: ConnectorError, *, sent: bool) -> None:
        super().__init__(error.message)
        self.error = error
        self.sent = sent


@dataclass
class _Exchange:
    response: requests.Response
    body: bytes
    body_file: IO[bytes] | None = None


# --- the client -----------------------------------------------------------------------------------------


class SafeClient:
    """Outbound HTTP with egress checks, pinned connections, budgets, caps, retries and redaction.

    Construction does no I/O. One client per connection (or per HTTP node execution) is the intended
    use; it is safe to share between threads.
    """

    def __init__(
        self,
        *,
        policy: EgressPolicy = DEFAULT_POLICY,
        base_url: str | None = None,
        auth: Auth | None = None,
        auth_origins: tuple[str, ...] = (),
        timeout: float | tuple[float, float] = (5.0, 30.0),
        deadline: float = 120.0,
        max_response_bytes: int = 10 * 1024 * 1024,
        retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        rate_limiter: RateLimiter | None = None,
        rate_limit_key: str = "default",
        rate_limit: RateLimit | None = None,
        rate_limit_wait: float = 10.0,
        max_redirects: int = 5,
        default_headers: Mapping[str, str] | None = None,
        verify: bool | str = True,
        redactor: Redactor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self.base_url = base_url.rstrip("/") if base_url else None
        self.connect_timeout, self.read_timeout = (
            timeout if isinstance(timeout, tuple) else (timeout, timeout)
        )
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rate_limiter = rate_limiter
        self.rate_limit_key = rate_limit_key
        self.rate_limit = rate_limit or RateLimit()
        self.rate_limit_wait = rate_limit_wait
        self.max_redirects = max_redirects
        self.default_headers = dict(default_headers or {})
        self.verify = verify
        self.redactor = redactor or Redactor()
        self._sleep = sleep
        self._clock = clock
        self.auth = auth
        # Credentials are only ever applied to these origins (scheme, host, port).
        self._auth_origins = {origin(u) for u in ((self.base_url,) if self.base_url else ()) + auth_origins}
        if auth is not None:
            if not self._auth_origins:
                raise ValueError("a client with credentials needs base_url (or auth_origins) to bind them to")
            auth.bind(self.redactor)
        # Called with every response (each attempt), e.g. to read API usage headers; see _observe.
        self.response_observers: list[Callable[[SafeResponse], None]] = []
        self._adapters: dict[tuple[str, str, int, str], PinnedAdapter] = {}
        self._adapters_lock = threading.Lock()
        self._local = threading.local()

    # -- public API

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Any = None,
        raise_for_status: bool = True,
        authenticate: bool = True,
        follow_redirects: bool = True,
        max_response_bytes: int | None = None,
        retries: int | None = None,
        idempotent: bool | None = None,
        spool_body_over: int | None = None,
    ) -> SafeResponse:
        """Send one logical request; see the module docstring for the guarantees.

        ``spool_body_over``: a body longer than this many bytes is kept in a temporary file
        (``SafeResponse.body_file``) instead of memory, for callers that parse it incrementally.

        ``idempotent=True`` declares a POST safe to resend after a 5xx or a dropped connection (a
        read-only query such as SuiteQL); by default only idempotent methods or an Idempotency-Key are.
        """
        method = method.upper()
        full_url = self.resolve_url(url)
        deadline = self._clock() + self.deadline
        retries = self.retries if retries is None else max(0, retries)
        headers = dict(headers or {})
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS or any(k.lower() == "idempotency-key" for k in headers)
        cap = self.max_response_bytes if max_response_bytes is None else max_response_bytes
        attempt = 0
        while True:
            try:
                with self._budget(deadline):
                    response = self._exchange(
                        method,
                        full_url,
                        params,
                        headers,
                        json,
                        data,
                        deadline,
                        cap,
                        authenticate,
                        follow_redirects,
                        spool_body_over,
                    )
                self._observe(response)
            except _TransportFailure as failure:
                error = failure.error
                if not error.retryable or (failure.sent and not idempotent):
                    raise error from None
                delay = self._backoff(attempt)
                if attempt < retries and self._can_wait(delay, deadline):
                    self._log_retry(method, full_url, error.message, delay, attempt)
                    self._sleep(delay)
                    attempt += 1
                    continue
                raise error from None

            if response.status in TRANSIENT_STATUSES:
                advised = parse_retry_after(response.headers.get("Retry-After"))
                delay = advised if advised is not None else self._backoff(attempt)
                # A POST that got a 500 may have been processed: resend only when it is safe.
                safe = idempotent or response.status in RETRY_STATUSES_UNSAFE
                in_budget = delay <= self.backoff_cap and self._can_wait(delay, deadline)
                if safe and attempt < retries and in_budget:
                    self._log_retry(method, full_url, f"HTTP {response.status}", delay, attempt)
                    self._sleep(delay)
                    attempt += 1
                    continue
                raise self._status_error(method, response, advised)
            if raise_for_status and response.status >= 400:
                raise self._status_error(method, response)
            return response

    def get(self, url: str, **kwargs: Any) -> SafeResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> SafeResponse:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> SafeResponse:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> SafeResponse:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> SafeResponse:
        return self.request("DELETE", url, **kwargs)

    def resolve_url(self, url: str) -> str:
        """Absolute URLs pass through; a relative path is appended to ``base_url``."""
        if urlsplit(url).scheme:
            return url
        if not self.base_url:
            raise InvalidInput(
                f"Relative URL {url!r} but the client has no base URL.", hint="Use an absolute URL."
            )
        return f"{self.base_url}/{url.lstrip('/')}" if url else self.base_url

    def close(self) -> None:
        with self._adapters_lock:
            adapters, self._adapters = list(self._adapters.values()), {}
        for adapter in adapters:
            adapter.close()

    def __enter__(self) -> SafeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals

    @contextmanager
    def _budget(self, deadline: float) -> Iterator[None]:
        # A nested call on the same thread (an OAuth token fetch inside a request) shares the outer
        # slot; acquiring again could deadlock a connection whose concurrency budget is 1.
        if self.rate_limiter is None or getattr(self._local, "holding", False):
            yield
            return
        wait = max(0.0, min(self.rate_limit_wait, deadline - self._clock()))
        with self.rate_limiter.acquire(self.rate_limit_key, self.rate_limit, max_wait=wait):
            self._local.holding = True
            try:
                yield
            finally:
                self._local.holding = False

    def _observe(self, response: SafeResponse) -> None:
        """Show every response to the observers (e.g. a connector reading its API usage headers); an
        observer's failure never fails the request."""
        for observer in list(self.response_observers):
            try:
                observer(response)
            except Exception:  # noqa: BLE001 - observation is best effort by design
                logger.warning("response observer %r failed", observer, exc_info=True)

    def _backoff(self, attempt: int) -> float:
        # "Equal jitter": at least half the exponential delay, so retries of many clients spread out.
        ceiling = min(self.backoff_cap, self.backoff_base * (2**attempt))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def _can_wait(self, delay: float, deadline: float) -> bool:
        return self._clock() + delay < deadline

    def _log_retry(self, method: str, url: str, reason: str, delay: float, attempt: int) -> None:
        logger.info(
            "http retry %s %s after %s in %.2fs (attempt %d)",
            method,
            self.redactor.url(url),
            self.redactor.text(reason),
            delay,
            attempt + 1,
        )

    def _adapter(self, target: Target) -> PinnedAdapter:
        key = (target.scheme, target.host, target.port, target.address)
        with self._adapters_lock:
            adapter = self._adapters.get(key)
            if adapter is None:
                if len(self._adapters) >= 32:  # bounded: a client talking to many hosts keeps few pools
                    self._adapters.pop(next(iter(self._adapters))).close()
                adapter = self._adapters[key] = PinnedAdapter(target.address, pool_maxsize=4)
            return adapter

    def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        json: Any,
        data: Any,
        deadline: float,
        cap: int,
        authenticate: bool,
        follow_redirects: bool,
        spool_body_over: int | None = None,
    ) -> SafeResponse:
        first_origin = origin(url)
        started = self._clock()
        history: list[str] = []
        renewed = False
        current_url, current_method, current_params = url, method, params
        body: dict[str, Any] = {"json": json, "data": data}
        while True:
            target = self.policy.check_url(current_url)  # before anything is sent, on every hop
            hop_origin = origin(current_url)
            hop_headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
            hop_headers.update(self.default_headers)
            hop_headers.update(headers)
            if hop_origin != first_origin:
                # Never forward caller-set credentials (Authorization, cookies, api key headers) elsewhere.
                hop_headers = {k: v for k, v in hop_headers.items() if k.lower() not in self.redactor.headers}
            hop_params = dict(current_params or {})
            applied = False
            if authenticate and self.auth is not None and hop_origin in self._auth_origins:
                self.auth.apply(hop_headers, hop_params, self)
                applied = True
            try:
                prepared = requests.Request(
                    current_method, current_url, params=hop_params, headers=hop_headers, **body
                ).prepare()
            except (requests.exceptions.RequestException, ValueError, TypeError) as exc:
                raise InvalidInput(
                    f"Could not build the request: {self.redactor.text(str(exc))}",
                    hint="Check the URL, headers and body.",
                ) from None
            if applied and self.auth is not None:
                # Schemes that sign the whole request (OAuth 1.0a) see it as it will be sent.
                signed = self.auth.sign(
                    prepared.method or "", prepared.url or "", prepared.headers, prepared.body
                )
                prepared.headers.update(signed)
            exchange = self._transmit(prepared, target, deadline, cap, spool_body_over)
            response = exchange.response
            status = response.status_code

            if status == 401 and applied and not renewed and self.auth is not None:
                renewed = True
                response.close()
                if self.auth.on_unauthorized(self):
                    continue  # same hop once more with fresh credentials
            location = response.headers.get("Location")
            if follow_redirects and status in REDIRECT_STATUSES and location:
                response.close()
                if len(history) >= self.max_redirects:
                    raise ConnectorError(
                        f"Too many redirects (more than {self.max_redirects}) from {self.redactor.url(url)}.",
                        hint="Check the URL; the server may be redirecting in a loop.",
                    )
                history.append(self.redactor.url(current_url))
                current_url = urljoin(current_url, location)
                current_params = None  # already part of the URL that redirected
                if status == 303 or (status in (301, 302) and current_method == "POST"):
                    current_method = "GET" if current_method != "HEAD" else "HEAD"
                    body = {"json": None, "data": None}
                renewed = False
                continue

            elapsed = self._clock() - started
            logger.debug(
                "http %s %s -> %s in %.0f ms", method, self.redactor.url(current_url), status, elapsed * 1000
            )
            return SafeResponse(
                status=status,
                headers=CaseInsensitiveDict(dict(response.headers)),
                body=exchange.body,
                url=self.redactor.url(current_url),
                elapsed=elapsed,
                history=tuple(history),
                body_file=exchange.body_file,
            )

    def _transmit(
        self,
        prepared: requests.PreparedRequest,
        target: Target,
        deadline: float,
        cap: int,
        spool_over: int | None = None,
    ) -> _Exchange:
        remaining = deadline - self._clock()
        url_text = self.redactor.url(prepared.url or "")
        if remaining <= 0:
            raise DeadlineExceeded(
                f"Deadline exceeded before calling {url_text}.", hint="The step will retry."
            )
        timeout = (min(self.connect_timeout, remaining), min(self.read_timeout, remaining))
        adapter = self._adapter(target)
        try:
            response = adapter.send(prepared, stream=True, timeout=timeout, verify=self.verify, proxies={})
        except requests.exceptions.SSLError as exc:
            raise TLSError(
                f"TLS failed for {url_text}: {self.redactor.text(str(exc.args[0] if exc.args else exc))}",
                hint="Check the certificate of the remote system.",
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise _TransportFailure(
                TransientHTTPError(f"Timed out connecting to {url_text}.", hint="The system may be down."),
                sent=False,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise _TransportFailure(
                TransientHTTPError(
                    f"Timed out waiting for {url_text}.", hint="The system is slow; retry later."
                ),
                sent=True,
            ) from None
        except requests.exceptions.ConnectionError as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            sent = not isinstance(reason, ConnectTimeoutError)  # NewConnectionError subclasses it
            raise _TransportFailure(
                TransientHTTPError(f"Connection to {url_text} failed.", hint="The system may be down."),
                sent=sent,
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ConnectorError(f"Request to {url_text} failed: {self.redactor.text(str(exc))}") from None

        if response.status_code in REDIRECT_STATUSES:
            # Redirect bodies are never needed; do not read them at all.
            return _Exchange(response, b"")
        try:
            declared = int(response.headers.get("Content-Length", "0") or 0)
        except ValueError:
            declared = 0
        if declared > cap:
            response.close()
            raise self._too_large(url_text, cap)
        chunks: list[bytes] = []
        total = 0
        spool: IO[bytes] | None = None
        try:
            # iter_content decodes gzip/deflate, so the cap also bounds a decompression bomb.
            for chunk in response.iter_content(_CHUNK):
                total += len(chunk)
                if total > cap:
                    raise self._too_large(url_text, cap)
                if self._clock() > deadline:
                    raise DeadlineExceeded(
                        f"Deadline exceeded reading {url_text}.", hint="The step will retry."
                    )
                if spool is not None:
                    spool.write(chunk)
                    continue
                chunks.append(chunk)
                if spool_over is not None and total > spool_over:
                    spool = tempfile.TemporaryFile()  # noqa: SIM115  # handed to the caller in the response
                    spool.writelines(chunks)
                    chunks = []
        except BaseException as exc:
            if spool is not None:
                spool.close()  # the caller never sees a half-read body
            if isinstance(exc, requests.exceptions.RequestException | OSError):
                raise _TransportFailure(
                    TransientHTTPError(f"Connection to {url_text} broke while reading.", hint="Retry later."),
                    sent=True,
                ) from None
            raise
        finally:
            response.close()
        return _Exchange(response, b"".join(chunks), spool)

    def _too_large(self, url_text: str, cap: int) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"Response from {url_text} is larger than {cap} bytes.",
            limit=cap,
            hint="Ask for less data per call (filters, smaller pages).",
        )

    def _excerpt(self, response: SafeResponse) -> str:
        return self.redactor.text(response.text[:EXCERPT_CHARS])

    def _status_error(
        self, method: str, response: SafeResponse, retry_after: float | None = None
    ) -> ConnectorError:
        """The typed error for a failure status (``connectors.http.errors``); only the server's own
        advice travels as ``retry_after``, otherwise the caller's backoff decides."""
        return error_for_status(
            response.status,
            f"{method} {response.url} returned HTTP {response.status}.",
            hint=STATUS_HINTS.get(error_class(response.status), REFUSED_HINT),
            body_excerpt=self._excerpt(response),
            retry_after=retry_after,
        )
