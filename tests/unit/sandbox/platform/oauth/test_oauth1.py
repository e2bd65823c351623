"""The OAuth 1.0a signature code NetSuite's TBA check uses, against RFC 5849's own examples."""

from __future__ import annotations

import hashlib

import pytest

from sandbox.platform.oauth import oauth1

# RFC 5849 section 3.4.1.1: the example request and its signature base string.
RFC_PARAMS = [
    ("b5", "=%3D"),
    ("a3", "a"),
    ("c@", ""),
    ("a2", "r b"),
    ("c2", ""),
    ("a3", "2 q"),
    ("oauth_consumer_key", "9djdj82h48djs9d2"),
    ("oauth_token", "kkk9d7dh3k39sjv7"),
    ("oauth_signature_method", "HMAC-SHA1"),
    ("oauth_timestamp", "137131201"),
    ("oauth_nonce", "7d8f3e4a"),
]
RFC_BASE = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D"
    "%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1"
    "%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
)


def test_signature_base_string_of_the_rfc_example():
    assert (
        oauth1.base_string("POST", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", RFC_PARAMS)
        == RFC_BASE
    )


@pytest.mark.parametrize(
    ("url", "base"),
    [  # RFC 5849 section 3.4.1.2's examples
        ("http://EXAMPLE.COM:80/r%20v/X?id=123", "http://example.com/r%20v/X"),
        ("https://www.example.net:8080/?q=1", "https://www.example.net:8080/"),
    ],
)
def test_base_string_uri(url, base):
    assert oauth1.base_string_uri(url) == base


def test_hmac_signatures_over_the_base_string():
    # HMAC-SHA1 with the RFC's client and token secrets; NetSuite signs the same way with SHA-256.
    assert (
        oauth1.sign(RFC_BASE, "j49sk3j29djd", "dh893hdasih9", hashlib.sha1) == "r6/TJjbCOr97/+UU0NsvSne7s5g="
    )
    sha256 = oauth1.sign(RFC_BASE, "j49sk3j29djd", "dh893hdasih9")
    assert oauth1.verify(RFC_BASE, sha256, "j49sk3j29djd", "dh893hdasih9")
    assert not oauth1.verify(RFC_BASE, sha256, "j49sk3j29djd", "other")


def test_authorization_header_parsing():
    header = (
        'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
        'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"'
    )
    params = oauth1.parse_header(header)
    assert params["realm"] == "Example" and params["oauth_signature"] == "bYT5CMsGcbgUdFHObYMEfcx6bsw="
    assert oauth1.parse_header("Bearer abc") is None
    assert oauth1.parse_header('OAuth realm="x"') is None  # no signature: not a signed request


def test_agrees_with_oauthlib_when_installed():
    signature = pytest.importorskip("oauthlib.oauth1.rfc5849.signature")
    uri = signature.base_string_uri("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
    normalized = signature.normalize_parameters(RFC_PARAMS)
    assert signature.signature_base_string("POST", uri, normalized) == RFC_BASE
