"""The few PDI calls DataSync needs. A bearer token from POST /sessions is shared by the workers
through the cache until shortly before its ExpirationDate, and renewed once on a 401."""

import hashlib
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .http import CrmError, send

SYSTEM = "PDI"
FLAGS_PER_CALL = 100
TOKEN_MARGIN_SECONDS = 60
TOKEN_FALLBACK_SECONDS = 600


def _data(body) -> list[dict]:
    """PDI lists come bare or wrapped in {"data": [...]}."""
    if isinstance(body, dict):
        body = body.get("data") or body.get("items") or []
    return body if isinstance(body, list) else []


class PdiClient:
    def __init__(self, *, username: str, password: str, api_token: str) -> None:
        self.base = settings.PDI_API_BASE_URL.rstrip("/") + "/"
        self.credentials = {"Username": username, "Password": password, "ApiToken": api_token}
        digest = hashlib.sha256(f"{self.base}|{username}|{password}|{api_token}".encode()).hexdigest()
        self.token_key = f"datasync:pdi-token:{digest}"
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})

    @classmethod
    def for_connection(cls, connection) -> "PdiClient":
        return cls(username=connection.username, password=connection.password, api_token=connection.api_token)

    def _new_token(self) -> str:
        body = send(self.session, SYSTEM, "POST", urljoin(self.base, "sessions"), json=self.credentials).json()
        token = body.get("AccessToken") if isinstance(body, dict) else None
        if not token:
            raise CrmError(f"{SYSTEM}: POST /sessions answered no AccessToken")
        expires = parse_datetime(str(body.get("ExpirationDate") or ""))
        if expires is not None and timezone.is_naive(expires):
            expires = expires.replace(tzinfo=UTC)
        seconds = (expires - datetime.now(UTC)).total_seconds() - TOKEN_MARGIN_SECONDS if expires else TOKEN_FALLBACK_SECONDS
        if seconds > 0:
            cache.set(self.token_key, token, timeout=seconds)
        return token

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        token = cache.get(self.token_key) or self._new_token()
        url = urljoin(self.base, path)
        try:
            return send(self.session, SYSTEM, method, url, headers={"Authorization": f"Bearer {token}"}, **kwargs)
        except CrmError as exc:
            if exc.status != 401:
                raise
        cache.delete(self.token_key)
        return send(self.session, SYSTEM, method, url, headers={"Authorization": f"Bearer {self._new_token()}"}, **kwargs)

    def check(self) -> None:
        cache.delete(self.token_key)
        self._new_token()

    def catalog(self) -> dict:
        flags = [
            {"id": str(f.get("flagId") or f.get("id")), "name": f.get("flagIdDescription") or f.get("description") or ""}
            for f in _data(self._call("GET", "flag_ids").json())
        ]
        questions = [
            {
                "id": str(q["id"]),
                "name": q.get("question") or q.get("description") or "",
                "answers": [
                    {"flag_id": str(a.get("flagId")), "name": a.get("displayDescription") or a.get("displayCode") or ""}
                    for a in q.get("answerOptions") or []
                    if a.get("flagId") is not None
                ],
            }
            for q in _data(self._call("GET", "questions").json())
        ]
        acquisition_types = [
            {"id": str(a["id"]), "name": a.get("acquisitionDescription") or a.get("description") or ""}
            for a in _data(self._call("GET", "acquisition_types").json())
        ]
        return {"questions": questions, "flags": flags, "acquisition_types": acquisition_types}

    def create_flags(self, flags: list[dict]) -> int:
        return self._call("POST", "flags", json=flags).status_code


def flag_of(target: dict, *, pdi_id: str, acquisition_type_id: str, recorded_at: datetime) -> dict:
    flag = {
        "pdiId": pdi_id,
        "flagId": target["flag_id"],
        "acquisitionTypeId": acquisition_type_id,
        "flagEntryDate": recorded_at.date().isoformat(),
    }
    if target.get("question_id"):
        flag["questionId"] = target["question_id"]
    return flag
