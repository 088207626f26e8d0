"""The registry: one class per kind, another app specialises a kind with a subclass (the
DataSync hook), and a kind without a source of rows still exports a valid file."""

import io

import pytest
from django.db.models import F, Value

from actions.models import Conversation
from reporting.exports import registry
from reporting.exports.base import Exporter
from reporting.exports.columns import INT, Column
from reporting.exports.kinds.datasync import DataSyncExporter
from reporting.exports.sources import iter_rows
from reporting.exports.writers import XlsxBook, csv_chunks

from . import expected
from .conftest import csv_table, xlsx_sheets

pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch_registry(monkeypatch):
    """Registrations made by a test vanish with it."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry.exporters()))


def test_other_apps_exporters_modules_are_discovered():
    assert registry.exporter_class("datasync").__module__ == "datasync.exporters"
    assert issubclass(registry.exporter_class("datasync"), DataSyncExporter)
    assert registry.exporter_class("nope") is None


def test_a_subclass_takes_its_kind_over_and_an_unrelated_class_is_refused(scratch_registry, seeded):
    registry._REGISTRY["datasync"] = DataSyncExporter  # as before the DataSync app registers

    @registry.register
    class FromConversations(DataSyncExporter):
        def queryset(self):
            return (
                Conversation.objects.for_org(self.action.organization_id)
                .filter(action=self.action)
                .annotate(
                    item_id=F("id"),
                    contact_name=F("contact__first_name"),
                    phone=F("contact__phone"),
                    van_id=F("contact__van_id"),
                    pdi_id=F("contact__pdi_id"),
                    crm=Value("NGP VAN"),
                    source=Value("tag:supporter"),
                    target_label=Value("=Activist code"),
                    status=Value("pending"),
                    attempts=Value(0),
                    last_error=Value(""),
                    recorded_at=F("created_at"),
                    synced_at=F("last_message_at"),
                )
                .order_by("id")
            )

    assert registry.exporter_class("datasync") is FromConversations
    exporter = FromConversations(seeded)
    rows = list(iter_rows(exporter, "csv"))
    assert [r[0] for r in rows] == list(Conversation.objects.filter(action=seeded).order_by("id").values_list("id", flat=True))
    assert {r[8] for r in rows} == {"'=Activist code"}

    class Impostor(Exporter):
        kind = "datasync"
        title = "Impostor"

    with pytest.raises(ValueError, match="already"):
        registry.register(Impostor)


def test_a_new_kind_is_one_class_away(scratch_registry, admin_api, seeded):
    @registry.register
    class Phones(Exporter):
        kind = "phones"
        title = "Phones"

        def queryset(self):
            return Conversation.objects.for_org(self.action.organization_id).filter(action=self.action).order_by("id")

        def get_columns(self):
            return [Column("id", "id", INT), Column("phone", "contact__phone")]

    response = admin_api.get(f"/api/v1/actions/{seeded.id}/exports/phones.csv")
    header, rows = csv_table(b"".join(response.streaming_content))
    assert header == ["id", "phone"] and len(rows) == Conversation.objects.filter(action=seeded).count()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_kind_without_rows_yet_is_a_valid_file_with_its_header(action, fmt):
    exporter = DataSyncExporter(action)
    assert exporter.count() == 0
    rows = iter_rows(exporter, fmt)
    if fmt == "csv":
        assert csv_table(b"".join(csv_chunks(exporter.header(), rows))) == (expected.DATASYNC_HEADER, [])
        return
    out = io.BytesIO()
    book = XlsxBook(out)
    book.add_table("datasync", exporter.header(), rows)
    book.close()
    assert xlsx_sheets(out.getvalue()) == {"datasync": [tuple(expected.DATASYNC_HEADER)]}
