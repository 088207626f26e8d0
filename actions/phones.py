import re
from functools import lru_cache

import phonenumbers
from django.conf import settings

E164_MAX = 16
# Ten NANP digits, optionally after +1 or 1, with the usual separators: the shape of nearly
# every row of a North American contact list, recognised without phonenumbers' full parser.
NANP_RE = re.compile(r"(?:\+?1[\s.\-]*)?\(?([2-9]\d{2})\)?[\s.\-]*([2-9]\d{2})[\s.\-]*(\d{4})")


class PhoneError(ValueError):
    pass


@lru_cache(maxsize=512)
def _is_nanp(region: str) -> bool:
    return phonenumbers.country_code_for_region(region) == 1


def _parse(text: str, region: str) -> phonenumbers.PhoneNumber:
    match = NANP_RE.fullmatch(text) if _is_nanp(region) else None
    if match:
        return phonenumbers.PhoneNumber(country_code=1, national_number=int("".join(match.groups())))
    return phonenumbers.parse(text, region)


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of a phone written any common way; PhoneError says why not."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError("phone is empty")
    # An unclosed quote can swallow the rest of a file into one cell: never echo all of it.
    shown = repr(text if len(text) <= 40 else text[:40] + "…")
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = _parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"{shown} is not a phone number ({exc._msg})") from None
    # Valid for the default region implies valid, and answers twice as fast for most rows.
    if not (phonenumbers.is_valid_number_for_region(number, region) or phonenumbers.is_valid_number(number)):
        raise PhoneError(f"{shown} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
