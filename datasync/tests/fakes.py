"""Fake NGP VAN and PDI servers at the HTTP level, answering the way the real ones do: VAN's
basic auth and `{"errors": [...]}` bodies, 204 on canvassResponses, paged lists; PDI's
POST /sessions bearer tokens that expire. Tests script failures (429 with Retry-After, 500,
slow answers) per person and read back every request's exact body."""

import base64
import json
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from werkzeug import Request, Response

VAN_APP, VAN_KEY = "p2p-admin-tests", "van-key-123"
PDI_USER, PDI_PASSWORD, PDI_API_TOKEN = "pdi-user", "pdi-pass", "pdi-api-token"

SURVEY_QUESTIONS = [
    {
        "surveyQuestionId": 101,
        "name": "Support",
        "mediumName": "Support",
        "cycle": 2026,
        "responses": [
            {"surveyResponseId": 1001, "name": "Strong support", "mediumName": "Strong"},
            {"surveyResponseId": 1002, "name": "Lean support", "mediumName": "Lean"},
        ],
    },
    {
        "surveyQuestionId": 102,
        "name": "Volunteer?",
        "mediumName": "Vol",
        "cycle": 2026,
        "responses": [{"surveyResponseId": 1011, "name": "Yes", "mediumName": "Yes"}],
    },
]
ACTIVIST_CODES = [{"activistCodeId": 201, "name": "Supporter"}, {"activistCodeId": 202, "name": "Wrong Number"}]
RESULT_CODES = [{"resultCodeId": 130, "name": "Do Not Text"}, {"resultCodeId": 18, "name": "Wrong Number"}]
CONTACT_TYPES = [{"contactTypeId": 1, "name": "Phone"}, {"contactTypeId": 37, "name": "SMS Text"}]
INPUT_TYPES = [{"inputTypeId": 11, "name": "API"}, {"inputTypeId": 14, "name": "Bulk"}]

PDI_QUESTIONS = [
    {
        "id": "Q1",
        "question": "Will you vote for us?",
        "answerOptions": [
            {"id": "A1", "flagId": "SUP", "displayDescription": "Supporter"},
            {"id": "A2", "flagId": "OPP", "displayDescription": "Opposed"},
        ],
    }
]
PDI_FLAGS = [
    {"id": "1", "flagId": "SUP", "flagIdDescription": "Supporter"},
    {"id": "2", "flagId": "OPP", "flagIdDescription": "Opposed"},
    {"id": "3", "flagId": "DNT", "flagIdDescription": "Do not text"},
]
PDI_ACQUISITION_TYPES = [{"id": "7", "acquisitionDescription": "Texting", "acquisitionMethod": "Phone"}]


def van_errors(status: int, code: str, text: str, headers: dict | None = None) -> Response:
    body = {"errors": [{"code": code, "text": text, "referenceCode": "REF-1"}]}
    return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")


def json_response(body, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


@dataclass
class Received:
    path: str
    body: object
    started: float
    answered: bool = False


@dataclass
class FakeCrm:
    """Shared bookkeeping: requests received, scripted answers per person, a delay."""

    server: object
    prefix: str
    delay: float = 0.0
    script: dict = field(default_factory=lambda: defaultdict(deque))
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self) -> str:
        return self.server.url_for(self.prefix)

    def fail_next(self, person: str, *answers) -> None:
        """The next calls for `person` answer these (status, headers) or a callable, in order."""
        self.script[str(person)].extend(answers)

    def _record(self, request: Request) -> Received:
        body = json.loads(request.get_data(as_text=True) or "null")
        entry = Received(request.path, body, time.monotonic())
        with self.lock:
            self.requests.append(entry)
        return entry

    def _scripted(self, person: str) -> object:
        with self.lock:
            queue = self.script.get(str(person))
            return queue.popleft() if queue else None

    def posted(self, pattern: str = "") -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.body is not None and re.search(pattern, r.path)]


class FakeVan(FakeCrm):
    def install(self) -> "FakeVan":
        self.server.expect_request(re.compile(rf"^{self.prefix}/.*")).respond_with_handler(self.handle)
        return self

    def handle(self, request: Request) -> Response:
        expected = base64.b64encode(f"{VAN_APP}:{VAN_KEY}|1".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return van_errors(401, "UNAUTHORIZED", "The API key or application name is not valid.")
        path = request.path[len(self.prefix) :]
        if request.method == "GET":
            return self._get(path, request)
        match = re.fullmatch(r"/people/([^/]+)/canvassResponses", path)
        if request.method != "POST" or not match:
            return van_errors(404, "NOT_FOUND", "The resource was not found.")
        entry = self._record(request)
        if self.delay:
            time.sleep(self.delay)
        answer = self._scripted(match.group(1))
        response = answer() if callable(answer) else self._canned(answer, match.group(1), entry.body)
        entry.answered = True
        return response

    def _canned(self, answer, van_id: str, body: dict) -> Response:
        if answer is not None:
            status, headers = answer
            if status == 429:
                return van_errors(429, "TOO_MANY_REQUESTS", "Rate limit exceeded.", headers)
            return van_errors(
                status, "INTERNAL_SERVER_ERROR" if status >= 500 else "INVALID_PARAMETER", f"HTTP {status}.", headers
            )
        if not van_id.isdigit():
            return van_errors(404, "INVALID_PARAMETER", "'vanId' must be a valid VAN ID.")
        if body.get("resultCodeId") and body.get("responses"):
            return van_errors(400, "INVALID_PARAMETER", "'resultCodeId' cannot be used with 'responses'.")
        return Response(status=204)

    def _get(self, path: str, request: Request) -> Response:
        if path == "/apiKeyProfiles":
            return json_response([{"databaseName": "MyCampaign", "committeeName": "Tests"}])
        if path == "/surveyQuestions":
            # Two pages of one question each, the second reached through nextPageLink.
            skip = int(request.args.get("$skip", 0))
            page = SURVEY_QUESTIONS[skip : skip + 1]
            more = skip + 1 < len(SURVEY_QUESTIONS)
            link = f"{self.url()}/surveyQuestions?$top=1&$skip={skip + 1}" if more else None
            return json_response({"items": page, "nextPageLink": link, "count": len(SURVEY_QUESTIONS)})
        if path == "/activistCodes":
            return json_response({"items": ACTIVIST_CODES, "nextPageLink": None, "count": len(ACTIVIST_CODES)})
        lists = {
            "/canvassResponses/resultCodes": RESULT_CODES,
            "/canvassResponses/contactTypes": CONTACT_TYPES,
            "/canvassResponses/inputTypes": INPUT_TYPES,
        }
        if path in lists:
            return json_response(lists[path])
        return van_errors(404, "NOT_FOUND", "The resource was not found.")


class FakePdi(FakeCrm):
    token_lifetime = timedelta(hours=1)

    def install(self) -> "FakePdi":
        self.tokens: dict[str, datetime] = {}
        self.sessions = 0
        self.server.expect_request(re.compile(rf"^{self.prefix}/.*")).respond_with_handler(self.handle)
        return self

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, datetime.now(UTC) - timedelta(seconds=1))

    def handle(self, request: Request) -> Response:
        path = request.path[len(self.prefix) :]
        if path == "/sessions" and request.method == "POST":
            creds = json.loads(request.get_data(as_text=True) or "{}")
            if creds != {"Username": PDI_USER, "Password": PDI_PASSWORD, "ApiToken": PDI_API_TOKEN}:
                return json_response({"message": "Invalid username, password or API token."}, 401)
            with self.lock:
                self.sessions += 1
                token = f"token-{self.sessions}"
                expires = datetime.now(UTC) + self.token_lifetime
                self.tokens[token] = expires
            return json_response({"AccessToken": token, "ExpirationDate": expires.isoformat()})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            valid = self.tokens.get(token, datetime.min.replace(tzinfo=UTC)) > datetime.now(UTC)
        if not valid:
            return json_response({"message": "Authorization has been denied for this request."}, 401)
        lists = {"/questions": PDI_QUESTIONS, "/flag_ids": PDI_FLAGS, "/acquisition_types": PDI_ACQUISITION_TYPES}
        if request.method == "GET" and path in lists:
            return json_response({"data": lists[path]})
        if request.method == "POST" and path == "/flags":
            entry = self._record(request)
            answer = self._scripted("flags")
            entry.answered = True
            if answer is not None:
                status, headers = answer
                return Response(
                    json.dumps({"message": f"HTTP {status}."}), status=status, headers=headers, content_type="application/json"
                )
            return json_response({"data": [{"id": i} for i, _ in enumerate(entry.body)]}, 201)
        return json_response({"message": "Not found."}, 404)
