"""Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEY (see orgs.crypto)."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from orgs.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEY, so older keys can be dropped."

    def handle(self, *args, **options) -> None:
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            with transaction.atomic():
                # Reading decrypts with any listed key; saving encrypts with the first.
                rows = list(model._base_manager.select_for_update().only("pk", *fields))
                model._base_manager.bulk_update(rows, fields, batch_size=500)
            self.stdout.write(f"{model._meta.label}: {len(rows)} rows re-encrypted")
