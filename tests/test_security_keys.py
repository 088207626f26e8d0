"""Key rotation end to end (docs/security.md): with the new key first and the old one after it,
`manage.py rotate_encryption_key` re-encrypts every EncryptedTextField of every model, after
which the new key alone decrypts everything and the old key alone nothing."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management import call_command
from django.db.models import TextField
from django.db.models.functions import Cast

from orgs.crypto import EncryptedTextField, _fernet_key
from tests.factories import OrganizationFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db
OLD, NEW = "the-old-key-of-this-deployment", "a-brand-new-key-from-the-vault"


def encrypted_fields() -> list[tuple[type, str]]:
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def stored(model, name: str) -> dict[int, str]:
    """The ciphertext as the database holds it, by primary key."""
    return dict(model._base_manager.annotate(raw=Cast(name, TextField())).values_list("pk", "raw"))


def secret(model, name: str, pk) -> str:
    return f"{model._meta.label}.{name}#{pk}"


@pytest.fixture
def secrets_everywhere(settings) -> list[tuple[type, str]]:
    """One row of every model (tests/world.py), every encrypted field holding a known secret under OLD."""
    settings.FIELD_ENCRYPTION_KEY = OLD
    build_world(OrganizationFactory(), pk=2_000_000_001, marker="qqKEYSqq")
    fields = encrypted_fields()
    for model, name in fields:
        for row in model._base_manager.all():
            setattr(row, name, secret(model, name, row.pk))
            row.save(update_fields=[name])
    return fields


def test_every_encrypted_field_is_covered(secrets_everywhere):
    labels = {(m._meta.label, n) for m, n in secrets_everywhere}
    assert {("orgs.Organization", "twilio_auth_token"), ("datasync.CrmConnection", "api_key")} <= labels
    assert {("datasync.CrmConnection", "password"), ("datasync.CrmConnection", "api_token")} <= labels
    assert all(stored(m, n) for m, n in secrets_everywhere), "every field has rows to rotate"


def test_rotation_re_encrypts_everything_for_the_new_key_alone(secrets_everywhere, settings):
    before = {(m, n): stored(m, n) for m, n in secrets_everywhere}
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    out = io.StringIO()
    call_command("rotate_encryption_key", stdout=out)
    for model in {m for m, _ in secrets_everywhere}:
        assert f"{model._meta.label}: " in out.getvalue()

    settings.FIELD_ENCRYPTION_KEY = NEW
    old_only, new_only = Fernet(_fernet_key(OLD)), Fernet(_fernet_key(NEW))
    for model, name in secrets_everywhere:
        for pk, raw in stored(model, name).items():
            assert raw != before[(model, name)][pk], "the ciphertext was rewritten"
            assert new_only.decrypt(raw.encode()).decode() == secret(model, name, pk)
            with pytest.raises(InvalidToken):
                old_only.decrypt(raw.encode())
        for row in model._base_manager.all():
            assert getattr(row, name) == secret(model, name, row.pk), "the application reads it with the new key alone"


def test_without_the_old_key_listed_nothing_can_be_read_or_rotated(secrets_everywhere, settings):
    """Why the procedure lists the old key after the new one until the rotation has run."""
    settings.FIELD_ENCRYPTION_KEY = NEW
    with pytest.raises(Exception, match="cannot be decrypted"):
        call_command("rotate_encryption_key", stdout=io.StringIO())


def test_rotating_twice_is_harmless(secrets_everywhere, settings):
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"
    call_command("rotate_encryption_key", stdout=io.StringIO())
    call_command("rotate_encryption_key", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEY = NEW
    model, name = secrets_everywhere[0]
    row = model._base_manager.first()
    assert getattr(row, name) == secret(model, name, row.pk)
