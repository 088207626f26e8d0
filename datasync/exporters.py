"""The `datasync` export (CONTRACT §3): one row per outbox item, in the exporter registry's
`datasync` kind, whose columns read the names annotated here."""

from django.db.models import Case, F, QuerySet, Sum, Value, When
from django.db.models.functions import Concat, Trim

from reporting.exports.kinds.datasync import DataSyncExporter
from reporting.exports.registry import register

from .models import CrmConnection, SyncItem, SyncStats

CRM_NAMES = Case(
    When(connection__kind=CrmConnection.Kind.VAN, then=Value("NGP VAN")),
    When(connection__kind=CrmConnection.Kind.PDI, then=Value("PDI")),
    default=Value(""),
)


@register
class SyncItemsExporter(DataSyncExporter):
    def queryset(self) -> QuerySet:
        return (
            SyncItem.objects.for_org(self.action.organization_id)
            .filter(action=self.action)
            .annotate(
                item_id=F("id"),
                contact_name=Trim(Concat("contact__first_name", Value(" "), "contact__last_name")),
                phone=F("contact__phone"),
                van_id=F("contact__van_id"),
                pdi_id=F("contact__pdi_id"),
                crm=CRM_NAMES,
            )
            .order_by("id")
        )

    def estimate(self, totals: dict[str, int]) -> int:
        """The summary counters know the row count; no need to count rows."""
        sums = SyncStats.objects.filter(action=self.action).aggregate(
            *(Sum(n) for n in ("synced", "pending", "failed", "skipped"))
        )
        return sum(v or 0 for v in sums.values())
