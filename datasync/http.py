"""The HTTP layer both CRM clients share: timeouts on every call, and one error type that says
whether a failure is worth retrying (429, 5xx, timeouts) and keeps the CRM's own words."""

from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone

ERROR_TEXT_MAX = 2000


class CrmError(Exception):
    def __init__(self, text: str, *, status: int | None = None, transient: bool = False, retry_after: float | None = None):
        super().__init__(text)
        self.text = text[:ERROR_TEXT_MAX]
        self.status = status
        self.transient = transient
        self.retry_after = retry_after


def timeout() -> float:
    """Seconds to wait for a CRM's answer; DATASYNC_HTTP_TIMEOUT overrides the default."""
    return float(settings.DATASYNC_HTTP_TIMEOUT)


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def error_text(response: requests.Response) -> str:
    """VAN answers `{"errors": [{"code", "text", "properties"}]}`; PDI `{"message"}` or `{"errors"}`."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason or "no error text"
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(_one_error(e) for e in errors)
        for key in ("message", "Message", "error_description", "error", "detail"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    return str(body)[:500]


def _one_error(error) -> str:
    if not isinstance(error, dict):
        return str(error)
    code, text = error.get("code"), error.get("text") or error.get("message") or ""
    properties = error.get("properties") or []
    words = f"{code}: {text}" if code else str(text)
    return f"{words} ({', '.join(map(str, properties))})" if properties else words


def send(session: requests.Session, system: str, method: str, url: str, **kwargs) -> requests.Response:
    """One request; any failure raises CrmError with `system`'s words."""
    wait = timeout()
    try:
        response = session.request(method, url, timeout=wait, **kwargs)
    except requests.Timeout:
        raise CrmError(f"{system}: no answer within {wait:g}s", transient=True) from None
    except requests.RequestException as exc:
        raise CrmError(f"{system}: unreachable ({exc.__class__.__name__})", transient=True) from None
    if response.status_code >= 400:
        status = response.status_code
        raise CrmError(
            f"{system} {status}: {error_text(response)}",
            status=status,
            transient=status == 429 or status >= 500,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    return response
