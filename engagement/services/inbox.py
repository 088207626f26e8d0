"""The volunteer inbox (direct messages from admins) and push device registration."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from actions.models import Action
from engagement.models import BulkJob, DeviceToken, InboxMessage

CHUNK = 1000


def inbox_send(
    *,
    organization_id: int,
    user_ids: Iterable[int],
    body: str,
    subject: str = "",
    sender: AbstractUser | None = None,
    action: Action | None = None,
    job: BulkJob | None = None,
) -> int:
    """One message in each user's inbox; a job's message reaches a user once however often
    the job runs. Returns how many were written."""
    rows = [
        InboxMessage(
            organization_id=organization_id, user_id=uid, sender=sender, action=action, job=job, subject=subject, body=body
        )
        for uid in user_ids
    ]
    created = InboxMessage.objects.bulk_create(rows, batch_size=CHUNK, ignore_conflicts=job is not None)
    return len(created)


def inbox_mark_read(*, message: InboxMessage) -> InboxMessage:
    if message.read_at is None:
        message.read_at = timezone.now()
        InboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


@transaction.atomic
def device_register(*, user: AbstractUser, organization_id: int, token: str, platform: str) -> tuple[DeviceToken, bool]:
    """A token belongs to the device's current user: re-registering moves it (phones change hands)."""
    device, created = DeviceToken.objects.select_for_update().get_or_create(
        token=token, defaults={"user": user, "organization_id": organization_id, "platform": platform}
    )
    if not created:
        device.user, device.organization_id, device.platform = user, organization_id, platform
        device.last_seen_at = timezone.now()
        device.save(update_fields=["user", "organization", "platform", "last_seen_at"])
    return device, created
