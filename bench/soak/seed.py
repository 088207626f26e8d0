"""The soak's organization, made the way a customer makes one: `create_org`'s service for the
organization and its Twilio credentials, then the JSON API for everything else (volunteers, the
action, the contact list as a CSV upload, sending the action)."""

import csv
import io
import random
import uuid
from dataclasses import dataclass

import phonenumbers
import requests

from orgs.services import organization_upsert

from .config import Config

AREA_CODES = (202, 212, 213, 305, 312, 404, 415, 503, 602, 617, 702, 713, 808, 919)
PASSWORD = "soak-volunteer-pass-7Q"
ACTION = {
    "name": "Soak: GOTV",
    "initial_script": "Hi {first_name}, this is the soak test. Can we count on your vote in {ward}?",
    "tags": ["supporter", "undecided", "opposed"],
    "custom_fields": [
        {"key": "support", "label": "Support (1-5)", "type": "choice", "choices": ["1", "2", "3", "4", "5"]},
        {"key": "note", "label": "Note", "type": "text"},
    ],
    "response_scripts": [
        {"key": "thanks", "label": "Thanks", "body": "Thanks {first_name}!"},
        {"key": "where", "label": "Polling place", "body": "Your polling place is on the city website, {first_name}."},
    ],
}


@dataclass(frozen=True)
class Volunteer:
    id: int
    email: str
    token: str


@dataclass(frozen=True)
class World:
    org_id: int
    account_sid: str
    auth_token: str
    action_id: int
    admin_token: str
    volunteers: list[Volunteer]
    contacts: int


class ApiError(RuntimeError):
    pass


def _call(method: str, url: str, *, token: str | None = None, expect: int = 200, **kwargs) -> dict:
    headers = {"Authorization": f"Token {token}"} if token else {}
    r = requests.request(method, url, headers=headers, timeout=300, **kwargs)
    if r.status_code != expect:
        raise ApiError(f"{method} {url} answered {r.status_code}, not {expect}: {r.text[:500]}")
    return r.json()


def phones(n: int, seed: int) -> list[str]:
    """n distinct, valid US numbers (E.164)."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < n:
        candidate = f"+1{rng.choice(AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            found.add(candidate)
    return sorted(found)


def contacts_csv(n: int, seed: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["phone", "first_name", "last_name", "ward"])
    for i, phone in enumerate(phones(n, seed)):
        writer.writerow([phone, f"Pat{i}", f"Soak{i % 97}", f"Ward {i % 12 + 1}"])
    return out.getvalue().encode()


def world_seed(*, cfg: Config) -> World:
    stamp = uuid.uuid4().hex[:12]
    admin_email, admin_password = f"admin-{stamp}@soak.example", f"soak-admin-{stamp}"
    org = organization_upsert(
        name=f"Soak {stamp}",
        admin_email=admin_email,
        admin_password=admin_password,
        twilio_account_sid="AC" + uuid.uuid4().hex,
        twilio_auth_token=uuid.uuid4().hex,
        messaging_service_sid="MG" + uuid.uuid4().hex,
    )
    api = cfg.web_url + "/api/v1"
    admin = _call("POST", f"{api}/auth/token/", json={"username": admin_email, "password": admin_password})["token"]
    volunteers = []
    for i in range(cfg.volunteers):
        email = f"volunteer{i}-{stamp}@soak.example"
        user = _call(
            "POST",
            f"{api}/volunteers/",
            token=admin,
            expect=201,
            json={"email": email, "first_name": f"Vol{i}", "last_name": "Soak", "password": PASSWORD},
        )
        token = _call("POST", f"{api}/auth/token/", json={"username": email, "password": PASSWORD})["token"]
        volunteers.append(Volunteer(user["id"], email, token))
    action = _call("POST", f"{api}/actions/", token=admin, expect=201, json=ACTION)
    upload = _call(
        "POST",
        f"{api}/actions/{action['id']}/contacts/",
        token=admin,
        files={"file": ("contacts.csv", contacts_csv(cfg.contacts, cfg.seed), "text/csv")},
    )
    if upload["created"] != cfg.contacts or upload["invalid"]:
        raise ApiError(f"the contact upload answered {upload}, not {cfg.contacts} created and none invalid")
    _call("POST", f"{api}/actions/{action['id']}/send/", token=admin, json={"user_ids": [v.id for v in volunteers]})
    return World(
        org_id=org.id,
        account_sid=org.twilio_account_sid,
        auth_token=org.twilio_auth_token,
        action_id=action["id"],
        admin_token=admin,
        volunteers=volunteers,
        contacts=upload["created"],
    )
