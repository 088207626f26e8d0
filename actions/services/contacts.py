"""Contact list upload (CONTRACT §3): parse, validate each row, insert set-based."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction

from actions.errors import Invalid
from actions.models import Action, Contact, Conversation, OptOut
from actions.phones import PhoneError, normalize_phone
from engagement.models import AuditEvent
from engagement.services.audit import audit_record_by
from orgs.db import bulk_insert, bulk_update_values, in_batches
from reporting.contrib import ConvState, Deltas, conversation_contrib
from reporting.stats import stats_write

from .actions import action_send_to_users

KNOWN_COLUMNS = ("phone", "first_name", "last_name", "van_id", "pdi_id", "assigned_user_email")
NEW_CONTACT_COLUMNS = ("phone", "first_name", "last_name", "van_id", "pdi_id", "attributes")
CHUNK = 5000


@dataclass
class UploadResult:
    created: int = 0
    duplicates: int = 0
    opted_out: int = 0
    invalid: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates, "invalid": self.invalid, "opted_out": self.opted_out}


@dataclass
class Row:
    line: int
    phone: str
    first_name: str
    last_name: str
    van_id: str
    pdi_id: str
    attributes: dict
    user_id: int | None


def _reader(data: bytes) -> csv.DictReader:
    if not data or not data.strip():
        raise Invalid({"file": "the file is empty"})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid({"file": f"the file is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"}) from None
    if "\x00" in text:
        raise Invalid({"file": "the file is not a CSV text file"})
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        raise Invalid({"file": f"the header row is not valid CSV: {exc}"}) from None
    reader.fieldnames = [(h or "").strip().lower() for h in header]
    if repeated := sorted({h for h in reader.fieldnames if h and reader.fieldnames.count(h) > 1}):
        raise Invalid({"file": f"the header row names {', '.join(map(repr, repeated))} more than once"})
    if "phone" not in reader.fieldnames:
        raise Invalid({"file": "the header row has no 'phone' column"})
    return reader


def _parse(organization_id: int, data: bytes, result: UploadResult) -> list[Row]:
    reader = _reader(data)
    extra = [h for h in reader.fieldnames if h and h not in KNOWN_COLUMNS]
    members = dict(get_user_model().objects.filter(membership__organization_id=organization_id).values_list("username", "id"))
    rows = []
    try:
        for record in reader:
            line = reader.line_num
            # Cells past the header's columns count too: a row with only those is invalid, not blank.
            if all((v or "").strip() == "" for v in [*(v for k, v in record.items() if k is not None), *record.get(None, [])]):
                continue
            if None in record:
                result.invalid.append({"row": line, "error": "the row has more fields than the header"})
                continue
            try:
                phone = normalize_phone(record.get("phone") or "")
            except PhoneError as exc:
                result.invalid.append({"row": line, "error": str(exc)})
                continue
            email = (record.get("assigned_user_email") or "").strip().lower()
            user_id = None
            if email:
                user_id = members.get(email)
                if user_id is None:
                    result.invalid.append(
                        {"row": line, "error": f"assigned_user_email {email} is not a user of this organization"}
                    )
                    continue
            rows.append(
                Row(
                    line=line,
                    phone=phone,
                    first_name=(record.get("first_name") or "").strip()[:100],
                    last_name=(record.get("last_name") or "").strip()[:100],
                    van_id=(record.get("van_id") or "").strip()[:50],
                    pdi_id=(record.get("pdi_id") or "").strip()[:50],
                    attributes={k: (record.get(k) or "").strip() for k in extra if (record.get(k) or "").strip()},
                    user_id=user_id,
                )
            )
    except csv.Error as exc:
        raise Invalid({"file": f"line {reader.line_num}: not valid CSV ({exc})"}) from None
    return rows


def _in_chunks(values: list) -> list:
    return in_batches(values, CHUNK)


def _contacts_by_phone(organization_id: int, phones: list[str]) -> dict[str, Contact]:
    found = {}
    for part in _in_chunks(phones):
        for c in Contact.objects.filter(organization_id=organization_id, phone__in=part):
            found[c.phone] = c
    return found


def _contact_ids(organization_id: int, phones: list[str]) -> dict[str, int]:
    found = {}
    for part in _in_chunks(phones):
        found.update(Contact.objects.filter(organization_id=organization_id, phone__in=part).values_list("phone", "id"))
    return found


def _merge_contact(contact: Contact, row: Row) -> bool:
    changed = False
    for name in ("first_name", "last_name", "van_id", "pdi_id"):
        value = getattr(row, name)
        if value and getattr(contact, name) != value:
            setattr(contact, name, value)
            changed = True
    merged = {**(contact.attributes or {}), **row.attributes}
    if merged != contact.attributes:
        contact.attributes = merged
        changed = True
    return changed


@transaction.atomic
def contacts_upload(*, action: Action, data: bytes, actor: AbstractUser | None = None) -> UploadResult:
    result = UploadResult()
    org_id = action.organization_id
    rows = _parse(org_id, data, result)
    Action.objects.select_for_update(no_key=True).filter(pk=action.pk).first()  # one upload per action at a time

    unique: dict[str, Row] = {}
    for row in rows:
        if row.phone in unique:
            result.duplicates += 1
        else:
            unique[row.phone] = row
    phones = list(unique)
    opted = set()
    for part in _in_chunks(phones):
        opted.update(OptOut.objects.filter(organization_id=org_id, phone__in=part).values_list("phone", flat=True))
    result.opted_out = len(opted)
    phones = [p for p in phones if p not in opted]

    contacts = _contacts_by_phone(org_id, phones)
    in_action = set()
    for part in _in_chunks([c.id for c in contacts.values()]):
        in_action.update(Conversation.objects.filter(action=action, contact_id__in=part).values_list("contact_id", flat=True))
    result.duplicates += sum(1 for p in phones if p in contacts and contacts[p].id in in_action)
    phones = [p for p in phones if not (p in contacts and contacts[p].id in in_action)]

    changed = [contacts[p] for p in phones if p in contacts and _merge_contact(contacts[p], unique[p])]
    bulk_update_values(Contact, changed, ["first_name", "last_name", "van_id", "pdi_id", "attributes"])
    new_rows = [unique[p] for p in phones if p not in contacts]
    inserted = bulk_insert(
        Contact,
        constants={"organization_id": org_id},
        columns={name: [getattr(r, name) for r in new_rows] for name in NEW_CONTACT_COLUMNS},
        ignore_conflicts=True,  # a contact another upload is adding right now is reused
        returning=("phone", "id"),
    )
    contact_ids = {p: c.id for p, c in contacts.items()} | dict(inserted)
    contact_ids |= _contact_ids(org_id, [r.phone for r in new_rows if r.phone not in contact_ids])

    user_ids = [unique[p].user_id for p in phones]
    bulk_insert(
        Conversation,
        constants={"organization_id": org_id, "action_id": action.id},
        columns={"contact_id": [contact_ids[p] for p in phones], "assigned_user_id": user_ids},
    )
    result.created = len(phones)

    deltas = Deltas()
    action_send_to_users(action=action, user_ids={u for u in user_ids if u}, deltas=deltas)
    for user_id, count in Counter(user_ids).items():
        # New conversations all contribute alike: once per holder, times how many.
        conversation_contrib(ConvState.new(action.id, user_id), deltas, count)
    stats_write(deltas)
    summary = {**result.as_dict(), "invalid": len(result.invalid), "bytes": len(data)}
    audit_record_by(actor, organization_id=org_id, verb=AuditEvent.Verb.CONTACTS_UPLOAD, action=action, summary=summary)
    return result
