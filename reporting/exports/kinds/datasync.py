"""`datasync`: the per-item CRM sync state. The columns are fixed here from the contract;
the rows come from the DataSync app, which registers a subclass in `datasync/exporters.py`
whose `queryset()` yields rows carrying these names as fields or annotations:

    item_id, contact_id, contact_name, phone, van_id, pdi_id, crm, source, target_label,
    status, attempts, last_error, recorded_at, synced_at

Until it does, the export is a valid file with the header and no rows."""

from django.db.models import QuerySet

from ..base import Exporter
from ..columns import INT, PHONE, TIME, Column
from ..registry import register


@register
class DataSyncExporter(Exporter):
    kind = "datasync"
    title = "DataSync"
    description = "Per contact and mapped value: what was sent to NGP VAN or PDI, and how it went."

    def queryset(self) -> QuerySet | None:
        return None

    def get_columns(self) -> list[Column]:
        return [
            Column("item_id", "item_id", INT),
            Column("contact_id", "contact_id", INT),
            Column("contact", "contact_name"),
            Column("phone", "phone", PHONE),
            Column("van_id", "van_id"),
            Column("pdi_id", "pdi_id"),
            Column("crm", "crm"),
            Column("source", "source"),
            Column("target", "target_label"),
            Column("status", "status"),
            Column("attempts", "attempts", INT),
            Column("last_error", "last_error"),
            Column("recorded_at", "recorded_at", TIME),
            Column("synced_at", "synced_at", TIME),
        ]
