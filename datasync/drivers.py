"""How claimed outbox rows become CRM calls: VAN takes one call per person for its survey
responses and activist codes together, and one per result code (VAN refuses `resultCodeId`
alongside `responses`); PDI takes flags in batches."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from .http import CrmError
from .models import CrmConnection, SyncItem
from .pdi import FLAGS_PER_CALL, PdiClient, flag_of
from .van import VanClient, canvass_context, response_of

PHONE_ID_COLUMNS = ("phone_id", "van_phone_id")


@dataclass
class Call:
    items: list[SyncItem]
    send: Callable[[], int]  # answers the HTTP status; raises CrmError


def client_for(connection: CrmConnection) -> VanClient | PdiClient:
    if connection.kind == CrmConnection.Kind.VAN:
        return VanClient.for_connection(connection)
    return PdiClient.for_connection(connection)


def _phone_id(contact) -> str:
    attributes = contact.attributes or {}
    return next((str(attributes[c]) for c in PHONE_ID_COLUMNS if attributes.get(c)), "")


def van_body(catalog: dict, items: list[SyncItem]) -> dict:
    first = items[0]
    context = canvass_context(
        catalog,
        phone=first.contact.phone,
        phone_id=_phone_id(first.contact),
        canvassed_at=min(i.recorded_at for i in items),
    )
    if first.target["type"] == "result_code":
        return {"canvassContext": context, "resultCodeId": first.target["id"]}
    return {"canvassContext": context, "responses": [response_of(i.target) for i in items]}


def van_calls(connection: CrmConnection, items: list[SyncItem]) -> list[Call]:
    client = VanClient.for_connection(connection)
    groups: dict[tuple, list[SyncItem]] = {}
    for item in items:
        call = ("result", item.target["id"]) if item.target["type"] == "result_code" else ("responses",)
        groups.setdefault((item.person_id, *call), []).append(item)
    return [
        Call(group, partial(client.canvass, key[0], van_body(connection.catalog or {}, group))) for key, group in groups.items()
    ]


def _no_acquisition_type() -> int:
    raise CrmError("PDI: no acquisition type is set for this connection and PDI listed none")


def pdi_calls(connection: CrmConnection, items: list[SyncItem]) -> list[Call]:
    client = PdiClient.for_connection(connection)
    types = (connection.catalog or {}).get("acquisition_types") or [{}]
    acquisition = connection.acquisition_type_id or types[0].get("id", "")
    calls = []
    for start in range(0, len(items), FLAGS_PER_CALL):
        batch = items[start : start + FLAGS_PER_CALL]
        if not acquisition:
            calls.append(Call(batch, _no_acquisition_type))
            continue
        flags = [flag_of(i.target, pdi_id=i.person_id, acquisition_type_id=acquisition, recorded_at=i.recorded_at) for i in batch]
        calls.append(Call(batch, partial(client.create_flags, flags)))
    return calls


def calls_for(connection: CrmConnection, items: list[SyncItem]) -> list[Call]:
    return (van_calls if connection.kind == CrmConnection.Kind.VAN else pdi_calls)(connection, items)
