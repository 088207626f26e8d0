"""CRM connections: create, check the credentials, cache the catalogue."""

from django.utils import timezone

from orgs.models import Organization

from ..drivers import client_for
from ..http import CrmError
from ..models import CrmConnection


def connection_create(*, organization: Organization, kind: str, **fields) -> CrmConnection:
    return CrmConnection.objects.create(organization=organization, kind=kind, **fields)


def connection_test(*, connection: CrmConnection) -> tuple[bool, str]:
    """Ask the CRM whether it takes the credentials; the answer is kept on the connection."""
    try:
        client_for(connection).check()
        ok, error = True, ""
    except CrmError as exc:
        ok, error = False, exc.text
    connection.last_tested_at = timezone.now()
    connection.last_test_ok = ok
    connection.last_test_error = error
    connection.save(update_fields=["last_tested_at", "last_test_ok", "last_test_error"])
    return ok, error


def connection_refresh_catalog(*, connection: CrmConnection) -> dict:
    """Fetch and cache the catalogue (raises CrmError; the old cache stays then)."""
    connection.catalog = client_for(connection).catalog()
    connection.catalog_fetched_at = timezone.now()
    connection.save(update_fields=["catalog", "catalog_fetched_at"])
    return connection.catalog
