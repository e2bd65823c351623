from __future__ import annotations

import logging

from connectors.http.redact import MASK, RedactingFilter, Redactor


def test_redacts_registered_values_headers_and_query():
    r = Redactor(["s3cr3t-value"])
    assert r.text("token s3cr3t-value leaked") == f"token {MASK} leaked"
    assert r.text("Authorization: Bearer abc.def") == f"Authorization: Bearer {MASK}"
    headers = r.header_map(
        {"Authorization": "x", "Cookie": "a=b", "X-Trace": "s3cr3t-value", "Accept": "json"}
    )
    assert headers == {"Authorization": MASK, "Cookie": MASK, "X-Trace": MASK, "Accept": "json"}
    url = r.url("https://u:p@h.example/p?api_key=k1&page=2&access_token=t")
    assert "k1" not in url and "=t" not in url and "u:p" not in url and "page=2" in url


def test_short_values_are_not_scrubbed_everywhere():
    r = Redactor(["ab"])
    assert r.text("about") == "about"


def test_logging_filter_scrubs_rendered_message(caplog):
    log = logging.getLogger("test.redact")
    redactor = Redactor(["pw-SECRET"])
    handler_filter = RedactingFilter(redactor)
    log.addFilter(handler_filter)
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            log.info("login with %s", "pw-SECRET")
    finally:
        log.removeFilter(handler_filter)
    assert "pw-SECRET" not in caplog.text and MASK in caplog.text
