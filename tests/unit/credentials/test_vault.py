"""The vault: ciphertext at rest, key validation, and rotation to a new key."""

from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.test import override_settings

from flowbuilder.credentials import vault
from flowbuilder.credentials.apps import check_secret_keys
from flowbuilder.credentials.models import Connection

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-CANARY-vault-42"
KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def raw_rows() -> list[str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM credentials_connection")
        return [repr(row) for row in cursor.fetchall()]


def test_the_database_holds_ciphertext_not_the_secret(make_connection):
    conn = make_connection(credentials={"token": SECRET})
    rows = raw_rows()
    assert rows and all(SECRET not in row for row in rows)
    stored = Connection.objects.get(pk=conn.pk)
    assert stored.secret_fields_set == ["token"]
    assert SECRET not in stored.secrets_ciphertext
    assert vault.get_vault().decrypt(stored.secrets_ciphertext) == {"token": SECRET}


def test_non_secret_credential_fields_stay_readable(make_connection):
    conn = make_connection(credential_type="basic", credentials={"username": "svc", "password": SECRET})
    assert conn.credentials == {"username": "svc"} and conn.secret_fields_set == ["password"]
    assert all(SECRET not in row for row in raw_rows())


def test_rotation_re_encrypts_every_row_and_the_old_key_can_go(make_connection):
    with override_settings(FLOWBUILDER_SECRET_KEYS=[KEY_A]):
        conns = [make_connection(name=f"c{i}", credentials={"token": f"{SECRET}-{i}"}) for i in range(3)]
        make_connection(name="open", credential_type="none", credentials={})
    with override_settings(FLOWBUILDER_SECRET_KEYS=[KEY_B, KEY_A]):
        out = io.StringIO()
        call_command("rotate_secrets", stdout=out)
    assert "Connections: 4; re-encrypted to the newest key: 3; without secrets: 1; undecryptable: 0" in (
        out.getvalue()
    )
    old, new = Fernet(KEY_A.encode()), Fernet(KEY_B.encode())
    for i, conn in enumerate(conns):
        token = Connection.objects.get(pk=conn.pk).secrets_ciphertext
        new.decrypt(token.encode())  # encrypted with the newest key
        with pytest.raises(InvalidToken):
            old.decrypt(token.encode())
        with override_settings(FLOWBUILDER_SECRET_KEYS=[KEY_B]):  # the old key removed
            assert vault.get_vault().decrypt(token) == {"token": f"{SECRET}-{i}"}


def test_rotation_reports_rows_no_key_can_decrypt(make_connection):
    with override_settings(FLOWBUILDER_SECRET_KEYS=[KEY_A]):
        lost = make_connection(name="lost")
    with override_settings(FLOWBUILDER_SECRET_KEYS=[KEY_B]):
        with pytest.raises(CommandError, match=f"ids: {lost.pk}"):
            call_command("rotate_secrets", stdout=io.StringIO())
        with pytest.raises(vault.VaultError, match="FLOWBUILDER_SECRET_KEYS"):
            vault.get_vault().decrypt(Connection.objects.get(pk=lost.pk).secrets_ciphertext)


@pytest.mark.parametrize("keys", [["not-a-key"], [KEY_A, "short"], []])
def test_invalid_keys_fail_loudly_naming_the_variable_not_the_key(keys):
    with pytest.raises(ImproperlyConfigured) as info:
        vault.Vault(keys)
    assert "FLOWBUILDER_SECRET_KEYS" in str(info.value)
    assert all(k not in str(info.value) for k in keys)


def test_the_settings_default_is_a_valid_dev_key_and_production_is_warned(settings):
    vault.Vault([settings.FLOWBUILDER_DEV_SECRET_KEY])  # valid Fernet key
    settings.FLOWBUILDER_SECRET_KEYS = [settings.FLOWBUILDER_DEV_SECRET_KEY]
    settings.DEBUG, settings.TESTING = False, False
    assert [w.id for w in check_secret_keys()] == ["credentials.W001"]
    settings.DEBUG = True
    assert check_secret_keys() == []
    settings.DEBUG = False
    settings.FLOWBUILDER_SECRET_KEYS = [KEY_A]
    assert check_secret_keys() == []
