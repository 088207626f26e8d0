"""CONTRACT §5 cell rules: formula-injection escaping, UTC times with Z, and the SQL
statement of each rule (PostgreSQL's fast path) agreeing with the Python one."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reporting.exports.columns import BOOL, INT, PHONE, TEXT, TIME, Column, escape_text, format_time, row_formatter, sql_cell

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-A1", "'-A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+1 (202) 555-0100", "'+1 (202) 555-0100"),
        ("-", "'-"),
        ("+", "'+"),
        ("-5", "-5"),
        ("+5", "+5"),
        ("-1.25", "-1.25"),
        ("+12025550100", "+12025550100"),
        ("+44", "+44"),
        ("+012025550100", "+012025550100"),
        ("+1202555010012345", "+1202555010012345"),
        ("+1.5e3", "'+1.5e3"),
        ("-0x1F", "'-0x1F"),
        ("-5\n", "'-5\n"),
        ("1.", "1."),
        ("plain text", "plain text"),
        (" =1", " =1"),
        ("a=1", "a=1"),
        ("", ""),
        ("Zoë 東京 🙂", "Zoë 東京 🙂"),
    ],
)
def test_formula_looking_text_gets_a_leading_quote_except_numbers_and_phones(value, written):
    assert escape_text(value) == written
    assert sql_value(value, TEXT, "csv") == (written or None)


def sql_value(value, type_: str, fmt: str):
    cast = {BOOL: "::boolean", TIME: "::timestamptz"}.get(type_, "::text")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql_cell('v.x', type_, fmt)} FROM (SELECT %s{cast} AS x) v", [value])
        return cursor.fetchone()[0]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=12))
def test_sql_escaping_equals_python_escaping_for_any_text(value):
    # Formula characters are over-represented so the interesting branch is exercised.
    for text in (value, "=" + value, "-" + value, "+" + value, "\t" + value):
        assert sql_value(text, TEXT, "csv") == (escape_text(text) or None), repr(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_times_are_utc_iso_with_z_in_sql_and_python(moment, offset_minutes):
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    expected = aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert format_time(aware) == expected
    assert sql_value(aware, TIME, "csv") == expected


def test_booleans_are_words_in_csv_and_booleans_in_xlsx():
    assert [sql_value(v, BOOL, "csv") for v in (True, False, None)] == ["true", "false", None]
    assert [sql_value(v, BOOL, "xlsx") for v in (True, False, None)] == [True, False, None]
    columns = [Column("b", "b", BOOL), Column("n", "n", INT), Column("p", "p", PHONE), Column("t", "t", TEXT)]
    assert row_formatter(columns, "csv")((True, 7, "+12025550100", "=x")) == ("true", 7, "+12025550100", "'=x")
    assert row_formatter(columns, "xlsx")((False, None, "=x", None)) == (False, None, "'=x", None)


def test_a_column_type_is_checked_when_declared():
    with pytest.raises(ValueError, match="unknown type"):
        Column("x", "x", "money")
