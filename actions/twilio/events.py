"""Raw Twilio webhooks as stored events: what a well-formed payload is, and the one INSERT
that keeps each event once (unique on MessageSid + status for callbacks, MessageSid for
inbound texts), whatever Twilio retries."""

import re
from collections.abc import Mapping

from django.db import connection
from django.utils import timezone

from actions.errors import Invalid
from actions.models import Message, TwilioEvent
from orgs.models import Organization

CALLBACK_STATUSES = frozenset(Message.STATUS_ORDER) - {"pending", "unknown"}
SID_RE = re.compile(r"[A-Za-z]{2}[0-9A-Za-z]{10,62}")
E164_RE = re.compile(r"\+[1-9][0-9]{1,14}")
ERROR_CODE_RE = re.compile(r"[0-9]{1,9}")


def _sid_error(sid: str) -> str | None:
    if not sid:
        return "required"
    if not SID_RE.fullmatch(sid):
        return "not a Twilio message SID"
    return None


def message_sid_of(payload: Mapping) -> str:
    return (payload.get("MessageSid") or payload.get("SmsSid") or payload.get("SmsMessageSid") or "").strip()


def status_of(payload: Mapping) -> str:
    return (payload.get("MessageStatus") or payload.get("SmsStatus") or "").strip().lower()


def error_code_of(payload: Mapping) -> int | None:
    raw = (payload.get("ErrorCode") or "").strip()
    return int(raw) if raw else None


def payload_errors(kind: str, payload: Mapping) -> dict[str, str]:
    """Field name -> what is wrong with it; empty when the payload can be applied."""
    errors = {key: "contains a NUL character" for key, value in payload.items() if "\x00" in f"{key}{value}"}
    if sid_error := _sid_error(message_sid_of(payload)):
        errors["MessageSid"] = sid_error
    if kind == TwilioEvent.Kind.STATUS:
        status = status_of(payload)
        if not status:
            errors["MessageStatus"] = "required"
        elif status not in CALLBACK_STATUSES:
            errors["MessageStatus"] = f"unknown status {status[:40]!r}"
        code = (payload.get("ErrorCode") or "").strip()
        if code and not ERROR_CODE_RE.fullmatch(code):
            errors["ErrorCode"] = "must be a whole number"
    elif kind == TwilioEvent.Kind.INBOUND:
        sender = (payload.get("From") or "").strip()
        if not sender:
            errors["From"] = "required"
        elif not E164_RE.fullmatch(sender):
            errors["From"] = "must be a phone number in E.164 form"
    else:
        errors["kind"] = f"unknown event kind {kind!r}"
    return errors


def event_record(*, organization: Organization, kind: str, payload: dict) -> bool:
    """Store one raw event; False when it is a duplicate. Nothing is applied here."""
    if errors := payload_errors(kind, payload):
        raise Invalid(errors)
    status = status_of(payload) if kind == TwilioEvent.Kind.STATUS else ""
    field = TwilioEvent._meta.get_field
    table = TwilioEvent._meta.db_table
    with connection.cursor() as cursor:
        # Raw SQL: this is the webhook's whole cost, and ON CONFLICT DO NOTHING tells a
        # duplicate apart without an exception or a savepoint.
        cursor.execute(
            f"INSERT INTO {table} (organization_id, kind, message_sid, status, payload, received_at, waiting_for_sid)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
            [
                organization.pk,
                kind,
                message_sid_of(payload),
                status,
                field("payload").get_db_prep_save(payload, connection),
                field("received_at").get_db_prep_save(timezone.now(), connection),
                False,
            ],
        )
        return cursor.fetchone() is not None
