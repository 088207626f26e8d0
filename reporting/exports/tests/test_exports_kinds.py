"""Every kind in both formats matches the database for a seeded action (files parsed back
with the csv module and openpyxl), and the fast and portable paths write the same cells."""

import io

import pytest

from actions.models import Conversation, Message
from reporting.exports.registry import exporters
from reporting.exports.render import export_spec, export_write
from reporting.exports.sources import iter_rows
from reporting.exports.writers import BOM, XlsxBook, csv_chunks
from reporting.recompute import recompute_stats
from tests.factories import ActionFactory

from . import expected
from .conftest import body_of, csv_table, xlsx_sheets

pytestmark = pytest.mark.django_db
KINDS = ["contacts", "messages", "users", "opt_outs", "link_clicks", "datasync"]


def export(api, action, kind: str, fmt: str, query: str = ""):
    response = api.get(f"/api/v1/actions/{action.id}/exports/{kind}.{fmt}{query}")
    assert response.status_code == 200, response.content[:300]
    return response


def rows_of(response, fmt: str, sheet: str) -> tuple[list, list[list]]:
    body = body_of(response)
    if fmt == "csv":
        header, rows = csv_table(body)
        return header, [list(r.values()) for r in rows]
    sheets = xlsx_sheets(body)
    assert list(sheets) == [sheet]
    header, *rows = sheets[sheet]
    return list(header), [list(r) for r in rows]


def test_the_registry_holds_the_contract_kinds_in_order():
    assert list(exporters()) == KINDS


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", list(expected.ROWS))
def test_every_kind_matches_the_database(admin_api, seeded, kind, fmt):
    want = expected.ROWS[kind](seeded)
    assert want, f"the seed must give {kind} rows"
    header, rows = rows_of(export(admin_api, seeded, kind, fmt), fmt, kind)
    assert header == list(want[0])
    assert rows == [[expected.cell(v, fmt) for v in row.values()] for row in want]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_datasync_has_its_contract_columns_and_one_row_per_outbox_item(admin_api, seeded, fmt):
    from datasync.models import SyncItem

    header, rows = rows_of(export(admin_api, seeded, "datasync", fmt), fmt, "datasync")
    assert header == expected.DATASYNC_HEADER
    items = SyncItem.objects.filter(action=seeded).order_by("id")
    assert items, "the seed's reports and opt-outs give outbox items"
    assert [(r[0], r[9]) for r in rows] == [(expected.cell(i.id, fmt), i.status) for i in items]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_action_exports_a_header_and_no_rows(admin_api, org, kind, fmt):
    action = ActionFactory(organization=org, tags=[], custom_fields=[])
    header, rows = rows_of(export(admin_api, action, kind, fmt), fmt, kind)
    assert rows == []
    assert header == exporters()[kind](action).header()
    assert header[0] in ("conversation_id", "message_id", "user_id", "click_id", "item_id")


def test_formula_looking_values_are_neutralised_and_phones_and_numbers_are_not(admin_api, seeded):
    _, contacts = csv_table(body_of(export(admin_api, seeded, "contacts", "csv")))
    by_phone = {r["phone"]: r for r in contacts}
    assert by_phone["+12025550101"]["note"] == '\'=HYPERLINK("http://evil.example","x")'
    assert by_phone["+12025550102"]["note"] == "'@SUM(A1)"
    assert by_phone["+12025550104"]["first_name"] == "'=cmd|' /C calc'!A0"
    assert by_phone["+12025550104"]["note"] == "'+1 (202) 555-0104"
    assert (by_phone["+12025550103"]["first_name"], by_phone["+12025550103"]["note"]) == ("-5", "-5")
    assert (by_phone["+12025550103"]["last_name"], by_phone["+12025550103"]["ward"]) == ("+44", "-1.5")
    assert by_phone["+12025550104"]["ward"] == "+2"
    assert "'=IMPORTXML(A1)" in [r["field:notes"] for r in contacts]
    _, messages = csv_table(body_of(export(admin_api, seeded, "messages", "csv")))
    bodies = {r["body"] for r in messages}
    assert {"'\t=1+1 tabbed", "'\r-2+3 carriage"} <= bodies
    assert all(r["phone"].startswith("+") and not r["phone"].startswith("'") for r in messages)
    sheets = xlsx_sheets(body_of(export(admin_api, seeded, "users", "xlsx")))
    assert "Renée =Evil" in [row[2] for row in sheets["users"]]  # not at the start: left alone


def test_non_ascii_text_round_trips_and_the_excel_option_adds_a_bom(admin_api, seeded):
    plain = body_of(export(admin_api, seeded, "contacts", "csv"))
    excel = body_of(export(admin_api, seeded, "contacts", "csv", "?bom=1"))
    assert not plain.startswith(BOM.encode()) and excel == BOM.encode() + plain
    _, rows = csv_table(plain)
    names = {(r["first_name"], r["last_name"]) for r in rows}
    assert {("Zoë", "Ñandú"), ("東京", "🙂 Smile"), ("Ann", 'Line, with "quotes"')} <= names
    sheet = xlsx_sheets(body_of(export(admin_api, seeded, "contacts", "xlsx")))["contacts"]
    assert {("Zoë", "Ñandú"), ("東京", "🙂 Smile")} <= {(r[3], r[4]) for r in sheet}
    assert "Señal 📶 ok" in {r["field:notes"] for r in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", KINDS)
def test_sql_formatting_and_python_formatting_give_the_same_cells(seeded, kind, fmt):
    exporter = exporters()[kind](seeded)
    fast = list(iter_rows(exporter, fmt, sql_formatting=True))
    portable = list(iter_rows(exporter, fmt, sql_formatting=False))
    assert fast == portable
    assert len(fast) == exporter.count()


@pytest.mark.parametrize("kind", KINDS)
def test_copy_writes_the_same_bytes_as_the_streamed_csv(seeded, kind):
    spec = export_spec(action=seeded, kind=kind, fmt="csv", bom=True)
    copied = io.BytesIO()
    counted = []
    export_write(spec, copied, counted.append)
    exporter = spec.exporter()
    streamed = b"".join(csv_chunks(exporter.header(), iter_rows(exporter, "csv", sql_formatting=False), bom=True))
    assert copied.getvalue() == streamed
    assert sum(counted) == exporter.count()


def test_long_tables_continue_on_numbered_sheets_with_the_header_again(admin_api, seeded, monkeypatch):
    want = expected.messages(seeded)
    monkeypatch.setattr(XlsxBook, "max_rows", 4)
    sheets = xlsx_sheets(body_of(export(admin_api, seeded, "messages", "xlsx")))
    count = -(-len(want) // 4)
    assert list(sheets) == ["messages"] + [f"messages ({n})" for n in range(2, count + 1)]
    assert {rows[0] for rows in sheets.values()} == {tuple(want[0])}
    assert all(len(rows) == 5 for rows in list(sheets.values())[:-1])
    cells = [list(r) for rows in sheets.values() for r in rows[1:]]
    assert cells == [[expected.cell(v, "xlsx") for v in row.values()] for row in want]


def test_a_table_of_exactly_the_limit_needs_no_continuation(seeded, monkeypatch):
    exporter = exporters()["users"](seeded)
    monkeypatch.setattr(XlsxBook, "max_rows", exporter.count())
    out = io.BytesIO()
    book = XlsxBook(out)
    book.add_table("users", exporter.header(), iter_rows(exporter, "xlsx"))
    book.close()
    assert list(xlsx_sheets(out.getvalue())) == ["users"]


def test_exports_only_read(seeded, admin_api):
    before = (Conversation.objects.filter(action=seeded).count(), Message.objects.filter(action=seeded).count())
    for kind in KINDS:
        export(admin_api, seeded, kind, "csv")
    assert (Conversation.objects.filter(action=seeded).count(), Message.objects.filter(action=seeded).count()) == before
    assert recompute_stats(seeded) == []
