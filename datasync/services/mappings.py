"""What an action's values map to in a CRM; each change rewrites that source's outbox rows."""

from django.contrib.auth.models import AbstractUser
from django.db import transaction

from actions.errors import Invalid
from actions.models import Action
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by

from ..http import CrmError
from ..models import CrmConnection, SyncMapping
from ..sources import clean_source
from ..targets import TargetError, clean_target
from .connections import connection_refresh_catalog
from .follow import outbox_follow_source


def _audit(mapping: SyncMapping, verb: str, actor: AbstractUser | None) -> None:
    summary = {"connection": mapping.connection_id, "source": mapping.source, "target": mapping.label}
    audit_record_by(
        actor, organization_id=mapping.organization_id, verb=verb, action=mapping.action, subject=mapping, summary=summary
    )


def mapping_set(
    *, action: Action, connection: CrmConnection, source: str, target: dict, actor: AbstractUser | None = None
) -> tuple[SyncMapping, bool]:
    """Map `source` to `target` in `connection` (replacing its previous target); answers (mapping, created)."""
    try:
        source = clean_source(action, source)
    except ValueError as exc:
        raise Invalid({"source": str(exc)}) from None
    if not connection.catalog:
        try:
            connection_refresh_catalog(connection=connection)
        except CrmError as exc:
            raise Invalid({"connection": f"the catalogue could not be fetched: {exc.text}"}) from None
    try:
        target, label = clean_target(connection, target)
    except TargetError as exc:
        raise Invalid(exc.errors) from None
    with transaction.atomic():
        mapping, created = SyncMapping.objects.update_or_create(
            action=action,
            connection=connection,
            source=source,
            defaults={"organization_id": action.organization_id, "target": target, "label": label},
        )
        outbox_follow_source(action=action, source=source)
        _audit(mapping, AuditEvent.Verb.MAPPING_SET, actor)
    return mapping, created


@transaction.atomic
def mapping_delete(*, mapping: SyncMapping, actor: AbstractUser | None = None) -> None:
    action, source = mapping.action, mapping.source
    _audit(mapping, AuditEvent.Verb.MAPPING_DELETE, actor)
    mapping.delete()
    outbox_follow_source(action=action, source=source)
