"""OAuth 1.0a request signing (NetSuite TBA): the RFC 5849 examples, then requests the safe client sends,
verified by a server that recomputes the signature with its own base string code (written here from
RFC 5849 3.4.1, independent of oauthlib, and itself checked against the RFC's example)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from oauthlib.oauth1.rfc5849 import signature as rfc

from connectors.http.client import SafeClient
from connectors.http.oauth1 import OAuth1Auth
from tests.support.scripted_server import LOCAL, ScriptedServer, json_reply

# RFC 5849 3.4.1.1: the request and the signature base string it gives.
RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540"
    "%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method"
    "%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
)
RFC_OAUTH_PARAMS = {
    "oauth_consumer_key": "9djdj82h48djs9d2",
    "oauth_token": "kkk9d7dh3k39sjv7",
    "oauth_signature_method": "HMAC-SHA1",
    "oauth_timestamp": "137131201",
    "oauth_nonce": "7d8f3e4a",
}


def enc(value: str) -> str:
    """RFC 5849 3.6: percent-encode everything but unreserved characters."""
    return quote(value, safe="-._~")


def base_string(method: str, url: str, oauth: dict[str, str], form: list[tuple[str, str]]) -> str:
    """RFC 5849 3.4.1, from the text: method, base string URI, normalised parameters."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default = (scheme == "http" and parts.port in (None, 80)) or (
        scheme == "https" and parts.port in (None, 443)
    )
    authority = host if default else f"{host}:{parts.port}"
    uri = f"{scheme}://{authority}{parts.path or '/'}"
    params = parse_qsl(parts.query, keep_blank_values=True) + list(form) + list(oauth.items())
    pairs = sorted((enc(k), enc(v)) for k, v in params if k not in ("oauth_signature", "realm"))
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), enc(uri), enc(normalized)))


def hmac_signature(base: str, consumer_secret: str, token_secret: str, digest=hashlib.sha256) -> str:
    key = f"{enc(consumer_secret)}&{enc(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), digest).digest()).decode()


def header_params(header: str) -> dict[str, str]:
    assert header.startswith("OAuth ")
    out = {}
    for part in header[6:].split(","):
        key, _, value = part.strip().partition("=")
        out[key] = parse_qsl(f"v={value.strip(chr(34))}")[0][1] if value else ""
    return out


def test_independent_base_string_matches_rfc5849_example():
    form = parse_qsl("c2&a3=2+q", keep_blank_values=True)
    assert base_string(
        "POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", RFC_OAUTH_PARAMS, form
    ) == (RFC_BASE_STRING)


def test_oauthlib_builds_the_same_rfc5849_base_string():
    # The library this module relies on gives the RFC's base string for the RFC's request.
    uri = "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b"
    params = rfc.collect_parameters(
        uri_query=urlsplit(uri).query,
        body="c2&a3=2+q",
        headers={
            "Authorization": 'OAuth realm="Example", '
            + ", ".join(f'{k}="{v}"' for k, v in RFC_OAUTH_PARAMS.items())
            + ', oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'
        },
        exclude_oauth_signature=True,
    )
    built = rfc.signature_base_string("POST", rfc.base_string_uri(uri), rfc.normalize_parameters(params))
    assert built == RFC_BASE_STRING


@pytest.fixture
def verifying_server():
    """Recomputes each request's HMAC-SHA256 signature independently; 401 when it does not match."""
    srv = ScriptedServer().start()
    checked: list[dict[str, str]] = []

    def route(seen):
        oauth = header_params(seen.headers.get("Authorization", ""))
        signature = oauth.pop("oauth_signature", "")
        form = []
        if "form-urlencoded" in seen.headers.get("Content-Type", ""):
            form = parse_qsl(seen.body.decode(), keep_blank_values=True)
        base = base_string(
            seen.method, srv.url + seen.path, {k: v for k, v in oauth.items() if k != "realm"}, form
        )
        ok = hmac.compare_digest(signature, hmac_signature(base, "consumer-secret", "token-secret"))
        checked.append({**oauth, "ok": str(ok)})
        return json_reply(200 if ok else 401, b'{"ok": true}')

    srv.routes["/services/rest/record/v1/customer"] = route
    srv.routes["/services/rest/query/v1/suiteql"] = route
    srv.checked = checked  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def tba(**kw) -> OAuth1Auth:
    return OAuth1Auth(
        "consumer-key", "consumer-secret", "token-id", "token-secret", realm="1234567_SB1", **kw
    )


def test_requests_are_signed_hmac_sha256_with_realm_query_and_form_body(verifying_server):
    http = SafeClient(policy=LOCAL, base_url=verifying_server.url, auth=tba(), retries=0)
    assert http.get(
        "/services/rest/record/v1/customer", params={"q": 'email START_WITH "a b"', "limit": 5}
    ).ok
    assert http.post("/services/rest/record/v1/customer", data={"a3": "2 q", "c2": ""}).ok
    assert http.post(
        "/services/rest/query/v1/suiteql", json={"q": "SELECT id FROM customer"}
    ).ok  # JSON: not signed
    assert [c["ok"] for c in verifying_server.checked] == ["True", "True", "True"]
    first = verifying_server.checked[0]
    assert first["realm"] == "1234567_SB1" and first["oauth_signature_method"] == "HMAC-SHA256"
    assert first["oauth_consumer_key"] == "consumer-key" and first["oauth_token"] == "token-id"
    assert first["oauth_version"] == "1.0"
    nonces = {c["oauth_nonce"] for c in verifying_server.checked}
    assert len(nonces) == 3  # a fresh nonce per request


def test_a_wrong_secret_fails_verification_and_secrets_are_never_sent(verifying_server):
    bad = OAuth1Auth("consumer-key", "wrong-secret", "token-id", "token-secret", realm="1234567_SB1")
    http = SafeClient(policy=LOCAL, base_url=verifying_server.url, auth=bad, retries=0)
    assert http.get("/services/rest/record/v1/customer", raise_for_status=False).status == 401
    for seen in verifying_server.seen:
        assert "wrong-secret" not in str(seen.headers) and "token-secret" not in str(seen.headers)


def test_pinned_nonce_and_timestamp_give_the_rfc_hmac_of_the_base_string(verifying_server):
    auth = tba(nonce=lambda: "fixednonce", timestamp=lambda: "1700000000")
    headers = auth.sign(
        "GET",
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5",
        {},
        None,
    )
    oauth = header_params(headers["Authorization"])
    signature = oauth.pop("oauth_signature")
    base = base_string(
        "GET",
        "https://1234567-sb1.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5",
        {k: v for k, v in oauth.items() if k != "realm"},
        [],
    )
    assert signature == hmac_signature(base, "consumer-secret", "token-secret")
    assert oauth["oauth_nonce"] == "fixednonce" and oauth["oauth_timestamp"] == "1700000000"
