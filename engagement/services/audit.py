"""The organization's log of admin actions."""

from django.contrib.auth.models import AbstractUser
from django.db import models

from actions.models import Action
from engagement.models import AuditEvent


def audit_record(
    *,
    organization_id: int,
    actor: AbstractUser | None,
    verb: str,
    action: Action | None = None,
    subject: models.Model | None = None,
    summary: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=actor,
        verb=verb,
        action=action,
        subject_type=subject._meta.model_name if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        summary=summary or {},
    )


def audit_record_by(actor: AbstractUser | None, /, **event) -> AuditEvent | None:
    """audit_record for a service that changes something on an admin's request, in its own
    transaction. The same service run by a task, a command or a test acts for no one (None)
    and records nothing: the log is of what admins did."""
    return None if actor is None else audit_record(actor=actor, **event)
