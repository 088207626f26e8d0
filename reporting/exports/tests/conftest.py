"""A seeded action for the export tests: reporting.tests.drive's busy action (every CONTRACT
§4 fact at least once, through the real services) plus contacts, replies and reports whose
text looks like formulas, or is not ASCII."""

import csv
import io

import openpyxl
import pytest
from openpyxl.utils.escape import unescape

from actions.models import Conversation
from actions.services.contacts import contacts_upload
from reporting.recompute import recompute_stats
from reporting.tests import drive
from tests.factories import make_member

TRICKY_CONTACTS = [
    ("phone", "first_name", "last_name", "ward", "note"),
    ("+12025550101", "Zoë", "Ñandú", "3", '=HYPERLINK("http://evil.example","x")'),
    ("+12025550102", "東京", "🙂 Smile", "4", "@SUM(A1)"),
    ("+12025550103", "-5", "+44", "-1.5", "-5"),
    ("+12025550104", "=cmd|' /C calc'!A0", "O'Brien", "+2", "+1 (202) 555-0104"),
    ("+12025550105", "Ann", 'Line, with "quotes"', "7", "plain"),
]


def csv_bytes(rows: list[tuple]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def seeded(action, volunteer, org):
    """The action with a bit of everything, checked against recompute before any export."""
    contacts_upload(action=action, data=csv_bytes(TRICKY_CONTACTS))
    convs = drive.busy_action(action, volunteer)
    second = make_member(org, first_name="Renée", last_name="=Evil")
    tricky = drive.start_work(action, second, size=5)
    for conv in tricky[:3]:
        message = drive.send(conv, second)
        drive.twilio_answer(message)
        drive.callback(message, "delivered")
    drive.inbound(tricky[0], "\t=1+1 tabbed")
    drive.inbound(tricky[1], "\r-2+3 carriage")
    drive.report(tricky[0], second, tags=["undecided", "wrong number"], support="2", notes="=IMPORTXML(A1)")
    drive.report(tricky[1], second, tags=[], notes="Señal 📶 ok")
    drive.click(tricky[0])
    assert Conversation.objects.filter(action=action).count() == len(convs) + 2 + 5
    assert recompute_stats(action) == []
    return action


def csv_table(content: bytes) -> tuple[list[str], list[dict]]:
    text = content.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def xlsx_sheets(content: bytes) -> dict[str, list[tuple]]:
    """Every sheet's rows. Text is unescaped the way Excel reads it (OOXML writes control
    characters such as CR as `_x000D_`; openpyxl hands them back escaped)."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return {
        sheet.title: [tuple(unescape(v) if isinstance(v, str) else v for v in row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
