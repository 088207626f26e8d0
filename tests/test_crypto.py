"""Secrets are encrypted at rest: the database holds ciphertext, the code the plain value."""

import io

import pytest
from django.core.management import call_command
from django.db import connection

from orgs.crypto import decrypt, encrypt
from orgs.models import Organization

pytestmark = pytest.mark.django_db


def stored_token(org: Organization) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT twilio_auth_token FROM orgs_organization WHERE id = %s", [org.id])
        return cursor.fetchone()[0]


def test_the_twilio_auth_token_is_ciphertext_in_the_database(org):
    org.twilio_auth_token = "super-secret-auth-token"
    org.save()
    raw = stored_token(org)
    assert "super-secret" not in raw and raw.startswith("gAAAA")  # a Fernet token
    assert Organization.objects.get(pk=org.pk).twilio_auth_token == "super-secret-auth-token"


def test_the_same_secret_encrypts_differently_each_time():
    assert encrypt("same") != encrypt("same")


def test_a_key_is_rotated_by_prepending_the_new_one(org, settings):
    org.twilio_auth_token = "rotate-me"
    org.save()
    old = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = f"a-brand-new-key,{old}"
    assert Organization.objects.get(pk=org.pk).twilio_auth_token == "rotate-me"
    settings.FIELD_ENCRYPTION_KEY = "a-brand-new-key"
    with pytest.raises(Exception, match="cannot be decrypted"):
        decrypt(stored_token(org))


def test_rotate_encryption_key_re_encrypts_with_the_new_key(org, settings):
    org.twilio_auth_token = "rotate-me"
    org.save()
    settings.FIELD_ENCRYPTION_KEY = f"a-brand-new-key,{settings.FIELD_ENCRYPTION_KEY}"
    call_command("rotate_encryption_key", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEY = "a-brand-new-key"
    assert decrypt(stored_token(org)) == "rotate-me"
