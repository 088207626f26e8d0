"""Property tests on the contact CSV upload (CONTRACT §3): whatever bytes arrive, the answer is
never a 5xx. It is a 400 naming what is wrong with the file, with nothing stored, or a 200
whose counts add up: created + duplicates + opted_out + len(invalid) == the file's data rows
that are not blank, each invalid row named by a line of the file, exactly `created` new
conversations in the action, none for an opted-out phone, and the aggregates still equal a
recount."""

import csv
import io

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from actions.models import Conversation, OptOut
from reporting.recompute import recompute_stats
from tests.helpers import upload

pytestmark = pytest.mark.django_db

EXAMPLES = 60
# A few phones, written several ways, so that files repeat phones within themselves and
# across uploads; the last two are opted out of the organization.
PHONES = ["+12025550101", "+12025550102", "+12025550103", "+12025550104", "+12025550105", "+12025550106"]
OPTED_OUT = PHONES[-2:]
SPELLINGS = [lambda p: p, lambda p: p[2:], lambda p: f"({p[2:5]}) {p[5:8]}-{p[8:]}", lambda p: f"1.{p[2:5]}.{p[5:8]}.{p[8:]}"]
COLUMNS = ["phone", "first_name", "last_name", "van_id", "pdi_id", "assigned_user_email", "ward", "Phone "]

cell_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
phone_cells = st.one_of(
    st.builds(lambda p, spell: spell(p), st.sampled_from(PHONES), st.sampled_from(SPELLINGS)),
    cell_text,  # mostly not a phone, sometimes one
    st.just(""),
)


@st.composite
def csv_files(draw) -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True))
    if draw(st.booleans()):
        header = ["phone", *[h for h in header if h != "phone"]]
    emails = st.sampled_from(["", "member@fuzz.example", "stranger@elsewhere.example"])
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 9)) == 0:
            rows.append([""] * len(header))  # a blank row
            continue
        row = [
            draw(phone_cells if name.strip().lower() == "phone" else emails if name == "assigned_user_email" else cell_text)
            for name in header
        ]
        # Now and then a row with a field too many or too few.
        row = draw(st.sampled_from([row, [*row, draw(cell_text)], row[:-1]]))
        rows.append(row)
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([header, *rows])
    return (draw(st.sampled_from(["", "\ufeff"])) + out.getvalue()).encode()


def data_rows_not_blank(data: bytes) -> int:
    """The oracle, independent of the upload's own parser: data rows with any non-blank cell."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return sum(1 for row in rows[1:] if any(cell.strip() for cell in row))


@pytest.fixture
def uploading(admin_api, action, org):
    from tests.factories import make_member

    make_member(org, email="member@fuzz.example", username="member@fuzz.example")
    OptOut.objects.bulk_create(
        OptOut(organization=org, phone=phone, source=OptOut.Source.KEYWORD, created_at=timezone.now()) for phone in OPTED_OUT
    )
    return admin_api, action


def check_upload(api, action, data: bytes) -> dict | None:
    before = Conversation.objects.filter(action=action).count()
    response = upload(api, action, data)
    assert response.status_code in (200, 400), (response.status_code, response.content[:300])
    body = response.json()
    if response.status_code == 400:
        assert body.get("file"), body  # the reason, on the field at fault
        assert Conversation.objects.filter(action=action).count() == before, "a refused file changed the action"
        return None
    rows = data_rows_not_blank(data)
    assert body["created"] + body["duplicates"] + body["opted_out"] + len(body["invalid"]) == rows, (body, rows)
    text = data.decode("utf-8-sig")
    last_line = max(text.count("\n"), text.count("\r")) + 1
    assert all(2 <= bad["row"] <= last_line and bad["error"] for bad in body["invalid"]), body["invalid"]
    assert Conversation.objects.filter(action=action).count() == before + body["created"]
    assert not Conversation.objects.filter(action=action, contact__phone__in=OPTED_OUT).exists()
    assert recompute_stats(action) == []
    return body


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=csv_files())
@example(data=b"phone,first_name\n,,x\n")  # a cell past the header's columns only: once silently dropped
@example(data=b"phone,Phone \n+12025550101,\n")  # two columns named phone: the second once hid the first
def test_any_csv_is_counted_row_by_row_or_refused_with_a_reason(uploading, data):
    check_upload(*uploading, data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.binary(max_size=200), st.binary(max_size=200).map(lambda tail: b"phone,first_name\n" + tail)))
def test_arbitrary_bytes_never_answer_a_server_error(uploading, data):
    check_upload(*uploading, data)
