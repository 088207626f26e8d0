"""Phone normalisation: the NANP fast path answers exactly what phonenumbers' parser does."""

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.phones import PhoneError, normalize_phone


def reference(text: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(text: str, region: str) -> str | None:
    try:
        return normalize_phone(text, region)
    except PhoneError:
        return None


separators = st.sampled_from(["", " ", "-", ".", "  ", " - "])
digits = st.text(alphabet="0123456789", min_size=3, max_size=4)


@st.composite
def written_phones(draw) -> str:
    """North American numbers the way people type them, plus near misses."""
    area, exchange, line = draw(st.text("0123456789", min_size=3, max_size=3)), draw(digits), draw(digits)
    prefix = draw(st.sampled_from(["", "1", "+1", "+1 ", "1-", "+", "+44 ", "0", "11"]))
    area = draw(st.sampled_from([area, f"({area})", f"({area}", f"{area})"]))
    sep1, sep2 = draw(separators), draw(separators)
    return f"{prefix}{area}{sep1}{exchange}{sep2}{line}"


@settings(max_examples=1500, deadline=None)
@given(text=written_phones(), region=st.sampled_from(["US", "CA", "PR", "GB", "FR"]))
def test_the_fast_path_agrees_with_phonenumbers(text, region):
    assert ours(text, region) == reference(text, region)


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("(202) 555-0101", "+12025550101"),
        ("202.555.0101", "+12025550101"),
        ("+1 202 555 0101", "+12025550101"),
        ("1-202-555-0101", "+12025550101"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_common_forms(text, e164):
    assert normalize_phone(text, "US") == e164


@pytest.mark.parametrize("text", ["", "   ", "nope", "202555010", "(111) 555-0101", "+999 1234"])
def test_bad_phones_say_why(text):
    with pytest.raises(PhoneError):
        normalize_phone(text, "US")
