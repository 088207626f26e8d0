"""CRM connections: create, check the credentials, cache the catalogue. What an admin does
(`actor`) is audited; secrets never go into the audit record."""

from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils import timezone

from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by
from orgs.models import Organization

from ..drivers import client_for
from ..http import CrmError
from ..models import CrmConnection


@transaction.atomic
def connection_create(*, organization: Organization, kind: str, actor: AbstractUser | None = None, **fields) -> CrmConnection:
    connection = CrmConnection.objects.create(organization=organization, kind=kind, **fields)
    summary = {"kind": kind, "name": str(connection)}
    audit_record_by(
        actor, organization_id=organization.id, verb=AuditEvent.Verb.CRM_CONNECTION_CREATE, subject=connection, summary=summary
    )
    return connection


def connection_test(*, connection: CrmConnection, actor: AbstractUser | None = None) -> tuple[bool, str]:
    """Ask the CRM whether it takes the credentials; the answer is kept on the connection."""
    try:
        client_for(connection).check()
        ok, error = True, ""
    except CrmError as exc:
        ok, error = False, exc.text
    connection.last_tested_at = timezone.now()
    connection.last_test_ok = ok
    connection.last_test_error = error
    summary = {"ok": ok, "error": error}
    verb = AuditEvent.Verb.CRM_CONNECTION_TEST
    with transaction.atomic():  # the result and its audit record together; the CRM call stays outside
        connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_error"])
        audit_record_by(actor, organization_id=connection.organization_id, verb=verb, subject=connection, summary=summary)
    return ok, error


def connection_refresh_catalog(*, connection: CrmConnection) -> dict:
    """Fetch and cache the catalogue (raises CrmError; the old cache stays then)."""
    connection.catalog = client_for(connection).catalog()
    connection.catalog_fetched_at = timezone.now()
    connection.save(update_fields=["catalog", "catalog_fetched_at"])
    return connection.catalog
