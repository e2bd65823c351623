"""Start-up outside DEBUG: refused with the public default keys (naming the variable), clean with real ones.

Each case starts a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
REAL_SECRET = "k" * 20 + "9f3Qz-real-secret-key-for-this-test-only-7Yx2" * 2
DEV_VAULT_KEY = "YNbrT27gERgYYysnKHwC0a633xXNQlQUozNsOoecIuk="
STRIPPED = {"DEBUG", "FLOWBUILDER_TESTING", "FLOWBUILDER_SECRET_KEY", "FLOWBUILDER_SECRET_KEYS"}


def start(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in STRIPPED}
    base |= {"DATABASE_URL": "sqlite:///:memory:", "DJANGO_SETTINGS_MODULE": "flowbuilder.settings"}
    return subprocess.run(
        [sys.executable, *(args or ("-c", "import django; django.setup(); print('started')"))],
        cwd=ROOT,
        env=base | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_secret_key_outside_debug_refuses_to_start_naming_the_variable():
    result = start(DEBUG="false", FLOWBUILDER_SECRET_KEYS=Fernet.generate_key().decode())
    assert result.returncode != 0
    assert "FLOWBUILDER_SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


@pytest.mark.parametrize("key", ["dev-insecure-flowbuilder-key-change-me-in-production", "short", "a" * 60])
def test_a_public_short_or_trivial_secret_key_is_refused(key):
    result = start(FLOWBUILDER_SECRET_KEY=key, FLOWBUILDER_SECRET_KEYS=Fernet.generate_key().decode())
    assert result.returncode != 0 and "FLOWBUILDER_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    "vault",
    [None, DEV_VAULT_KEY, f"{Fernet.generate_key().decode()},{DEV_VAULT_KEY}"],
    ids=["unset", "dev", "dev-2nd"],
)
def test_the_public_vault_key_outside_debug_refuses_to_start(vault):
    env = {"FLOWBUILDER_SECRET_KEY": REAL_SECRET}
    if vault is not None:
        env["FLOWBUILDER_SECRET_KEYS"] = vault
    result = start(**env)
    assert result.returncode != 0
    assert "FLOWBUILDER_SECRET_KEYS must be set" in result.stderr


def test_real_keys_start_and_pass_the_deploy_check():
    result = start(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        FLOWBUILDER_SECRET_KEY=REAL_SECRET,
        FLOWBUILDER_SECRET_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="flows.example.com",
        CSRF_TRUSTED_ORIGINS="https://flows.example.com",
        FLOWBUILDER_PUBLIC_URL="https://flows.example.com",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no issues" in result.stdout


@pytest.mark.parametrize("env", [{"DEBUG": "true"}, {"FLOWBUILDER_TESTING": "true"}], ids=["debug", "tests"])
def test_a_laptop_and_the_tests_start_with_the_development_keys(env):
    result = start(**env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "started" in result.stdout


def test_production_defaults_turn_on_https_only_cookies_hsts_and_redirect():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    keys = {"FLOWBUILDER_SECRET_KEY": REAL_SECRET, "FLOWBUILDER_SECRET_KEYS": Fernet.generate_key().decode()}
    production = start("-c", code, **keys)
    assert production.stdout.split() == ["True"] * 6, production.stderr[-2000:]
    laptop = start("-c", code, DEBUG="true")
    assert laptop.stdout.split() == ["False", "False", "True", "False", "False", "False"]
    opted_out = start("-c", code, FLOWBUILDER_SSL_REDIRECT="false", FLOWBUILDER_HSTS_SECONDS="0", **keys)
    assert opted_out.stdout.split()[3:5] == ["False", "False"]


def test_an_idle_websocket_outlives_the_channel_layers_blocking_read():
    """channels-redis blocks up to brpop_timeout in BZPOPMIN; the socket must wait longer than that, or an
    idle run watcher is dropped with 1011 (redis-py's own default read timeout equals that 5 s)."""
    from channels.layers import get_channel_layer
    from django.conf import settings as django_settings

    layer = get_channel_layer()
    hosts = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert all(host["socket_timeout"] > layer.brpop_timeout for host in hosts)
    pool = layer.create_pool(0)
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout


def test_the_poll_settle_margin_comes_from_the_setting_and_refuses_a_negative_one():
    code = "import django; django.setup(); import connectors.polling as p; print(p.SETTLE.total_seconds())"
    configured = start("-c", code, FLOWBUILDER_TESTING="true", FLOWBUILDER_POLL_SETTLE_S="2.5")
    assert configured.stdout.strip() == "2.5", configured.stderr[-2000:]
    refused = start(FLOWBUILDER_TESTING="true", FLOWBUILDER_POLL_SETTLE_S="-1")
    assert refused.returncode != 0 and "FLOWBUILDER_POLL_SETTLE_S must be 0 or more" in refused.stderr
