"""Encryption at rest for connection secrets (Fernet: AES-128-CBC + HMAC-SHA256).

Keys come from `ENCRYPTION_KEYS`; the first key encrypts and every key decrypts, so keys can be
rotated by prepending a new one. Plain text never leaves this module except to the caller.
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretDecryptionError(Exception):
    """The stored secrets cannot be decrypted with any configured key."""


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.ENCRYPTION_KEYS])


def encrypt_secrets(secrets: dict[str, str]) -> str:
    if not secrets:
        return ""
    payload = json.dumps(secrets, sort_keys=True, separators=(",", ":")).encode()
    return _fernet().encrypt(payload).decode()


def decrypt_secrets(ciphertext: str) -> dict[str, str]:
    if not ciphertext:
        return {}
    try:
        return json.loads(_fernet().decrypt(ciphertext.encode()))
    except InvalidToken as error:
        raise SecretDecryptionError(
            "Stored connection secrets cannot be decrypted: ENCRYPTION_KEYS does not hold the key "
            "they were encrypted with."
        ) from error
