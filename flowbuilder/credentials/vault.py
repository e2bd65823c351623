"""Encryption at rest for connection secrets: cryptography's MultiFernet over FLOWBUILDER_SECRET_KEYS.

Keys are listed newest first. The newest encrypts; every key decrypts, so a new key is rolled out by
putting it first, running ``manage.py rotate_secrets`` (re-encrypts every row to it), then removing the
old key. Values are JSON objects serialised before encryption; the ciphertext is ASCII text.

Nothing here logs or echoes a plaintext value, and an undecryptable row raises :class:`VaultError`
naming the setting to fix, never the ciphertext.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

SETTING = "FLOWBUILDER_SECRET_KEYS"


class VaultError(Exception):
    """Secrets could not be decrypted (the key that encrypted them is not configured)."""


def build_fernets(keys: Sequence[str]) -> list[Fernet]:
    """One Fernet per configured key; a clear ImproperlyConfigured naming the variable otherwise."""
    keys = [k.strip() for k in keys if k and k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            f"{SETTING} is empty: set at least one Fernet key (newest first, comma separated)."
        )
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            # Never echo the key itself: it is a secret even when malformed.
            raise ImproperlyConfigured(
                f"{SETTING} entry #{position} is not a valid Fernet key (expected 32 url-safe "
                'base64-encoded bytes). Generate one with: python -c "from cryptography.fernet import '
                'Fernet; print(Fernet.generate_key().decode())"'
            ) from exc
    return fernets


class Vault:
    def __init__(self, keys: Sequence[str]) -> None:
        self._fernets = build_fernets(keys)
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, values: Mapping[str, Any]) -> str:
        data = json.dumps(dict(values), sort_keys=True, separators=(",", ":")).encode()
        return self._multi.encrypt(data).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        if not token:
            return {}
        try:
            data = self._multi.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise VaultError(
                f"Stored secrets cannot be decrypted with any key in {SETTING}; the key that encrypted "
                "them was removed or changed. Restore it (anywhere in the list) or re-enter the secrets."
            ) from exc
        value = json.loads(data)
        return value if isinstance(value, dict) else {}

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` with the newest key (raises VaultError if no key can decrypt it)."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError) as exc:
            raise VaultError(f"A row cannot be decrypted with any key in {SETTING}.") from exc


_lock = threading.Lock()
_cache: dict[tuple[str, ...], Vault] = {}


def get_vault() -> Vault:
    """The vault for the current settings (rebuilt when the keys change, e.g. override_settings)."""
    keys = tuple(settings.FLOWBUILDER_SECRET_KEYS)
    vault = _cache.get(keys)
    if vault is None:
        with _lock:
            vault = _cache.get(keys)
            if vault is None:
                vault = Vault(keys)
                _cache.clear()
                _cache[keys] = vault
    return vault


def uses_dev_key() -> bool:
    dev = getattr(settings, "FLOWBUILDER_DEV_SECRET_KEY", None)
    return bool(dev) and dev in [k.strip() for k in settings.FLOWBUILDER_SECRET_KEYS]


def is_production() -> bool:
    return not settings.DEBUG and not getattr(settings, "TESTING", False)


DEV_KEY_WARNING = (
    "FLOWBUILDER_SECRET_KEYS uses the public development key from settings.py: connection secrets are "
    "NOT protected. Set FLOWBUILDER_SECRET_KEYS to a fresh Fernet key, then run manage.py rotate_secrets."
)
