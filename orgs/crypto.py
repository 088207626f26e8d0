"""Encryption at rest for secrets stored in the database (Twilio tokens, CRM keys).

FIELD_ENCRYPTION_KEY may hold several comma-separated keys: the first encrypts, every one
decrypts, so a key is rotated by prepending the new one and re-saving (rotate_encryption_key).
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(raw_keys: str) -> MultiFernet:
    keys = [k.strip() for k in raw_keys.split(",") if k.strip()]
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty")
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def cipher() -> MultiFernet:
    return _cipher(settings.FIELD_ENCRYPTION_KEY)


def encrypt(value: str) -> str:
    return cipher().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("a stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY") from None


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code only ever sees the plain value."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
