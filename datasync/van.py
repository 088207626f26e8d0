"""The few NGP VAN calls DataSync needs, with timeouts and VAN's own error words.

Auth is HTTP basic: the application name, and `api_key|mode` (0 = voter file, 1 = MyCampaign).
"""

from datetime import datetime
from urllib.parse import urljoin

import phonenumbers
import requests
from django.conf import settings

from .http import send

SYSTEM = "VAN"
MAX_PAGES = 50
# VAN's ids for these are the same in every committee; the catalogue's names win when present.
SMS_CONTACT_TYPE = 37
API_INPUT_TYPE = 11


class VanClient:
    def __init__(self, *, application_name: str, api_key: str, mode: int) -> None:
        self.base = settings.VAN_API_BASE_URL.rstrip("/") + "/"
        self.session = requests.Session()
        self.session.auth = (application_name, f"{api_key}|{mode}")
        self.session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})

    @classmethod
    def for_connection(cls, connection) -> "VanClient":
        return cls(application_name=connection.application_name, api_key=connection.api_key, mode=connection.mode)

    def _get(self, path: str, params: dict | None = None):
        return send(self.session, SYSTEM, "GET", urljoin(self.base, path), params=params).json()

    def _pages(self, path: str) -> list[dict]:
        """VAN pages with `items` and an absolute `nextPageLink`."""
        body = self._get(path, {"$top": 200})
        items = list(body.get("items", []))
        for _ in range(MAX_PAGES):
            link = body.get("nextPageLink")
            if not link:
                break
            body = send(self.session, SYSTEM, "GET", link).json()
            items += body.get("items", [])
        return items

    def check(self) -> None:
        """Raises CrmError unless VAN accepts the key."""
        self._get("apiKeyProfiles")

    def catalog(self) -> dict:
        questions = [
            {
                "id": q["surveyQuestionId"],
                "name": q.get("name") or q.get("mediumName") or "",
                "cycle": q.get("cycle"),
                "responses": [
                    {"id": r["surveyResponseId"], "name": r.get("name") or r.get("mediumName") or ""}
                    for r in q.get("responses") or []
                ],
            }
            for q in self._pages("surveyQuestions")
        ]
        return {
            "survey_questions": questions,
            "activist_codes": [{"id": a["activistCodeId"], "name": a.get("name", "")} for a in self._pages("activistCodes")],
            "result_codes": [
                {"id": r["resultCodeId"], "name": r.get("name", "")} for r in self._get("canvassResponses/resultCodes")
            ],
            "contact_types": [
                {"id": c["contactTypeId"], "name": c.get("name", "")} for c in self._get("canvassResponses/contactTypes")
            ],
            "input_types": [
                {"id": i["inputTypeId"], "name": i.get("name", "")} for i in self._get("canvassResponses/inputTypes")
            ],
        }

    def canvass(self, van_id: str, body: dict) -> int:
        """POST /people/{vanId}/canvassResponses; VAN answers 204 No Content on success."""
        url = urljoin(self.base, f"people/{requests.utils.quote(str(van_id), safe='')}/canvassResponses")
        return send(self.session, SYSTEM, "POST", url, json=body).status_code


def _id_named(entries: list[dict], wanted: str, default: int) -> int:
    return next((e["id"] for e in entries or [] if str(e.get("name", "")).strip().lower() == wanted), default)


def canvass_context(catalog: dict, *, phone: str, phone_id: str, canvassed_at: datetime) -> dict:
    """Contact type SMS Text, input type API, when it was canvassed, and the phone texted."""
    context = {
        "contactTypeId": _id_named(catalog.get("contact_types"), "sms text", SMS_CONTACT_TYPE),
        "inputTypeId": _id_named(catalog.get("input_types"), "api", API_INPUT_TYPE),
        "dateCanvassed": canvassed_at.isoformat(timespec="seconds"),
    }
    try:
        number = phonenumbers.parse(phone)
        context["phone"] = {"dialingPrefix": str(number.country_code), "phoneNumber": str(number.national_number)}
    except phonenumbers.NumberParseException:
        pass
    if phone_id:
        context["phoneId"] = int(phone_id) if str(phone_id).isdigit() else phone_id
    return context


def response_of(target: dict) -> dict:
    if target["type"] == "activist_code":
        return {"activistCodeId": target["id"], "action": "Apply", "type": "ActivistCode"}
    return {"surveyQuestionId": target["question_id"], "surveyResponseId": target["response_id"], "type": "SurveyResponse"}
