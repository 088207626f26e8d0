import phonenumbers
from django.conf import settings

E164_MAX = 16


class PhoneError(ValueError):
    pass


def normalize_phone(raw: str, region: str | None = None) -> str:
    """E.164 form of a phone written any common way; PhoneError says why not."""
    text = (raw or "").strip()
    if not text:
        raise PhoneError("phone is empty")
    try:
        number = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(f"{text!r} is not a phone number ({exc._msg})") from None
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(f"{text!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
