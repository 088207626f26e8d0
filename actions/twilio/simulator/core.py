"""A Twilio stand-in: the Messages API's answers (SIDs, `accepted`, error JSON) and what Twilio
would post back afterwards (signed status callbacks, contact replies, STOPs), at chosen rates.

The Simulator holds state and decides outcomes; `server` puts it behind HTTP, and a delivery
is handed to a `post(url, params, signature)` callable (HTTP for the command, an in-process
request for simulate_history).
"""

import heapq
import itertools
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit, urlunsplit

from twilio.request_validator import RequestValidator

from actions.services.optouts import keyword_of

E164_RE = re.compile(r"\+[1-9][0-9]{7,14}")
API_VERSION = "2010-04-01"
SENDER = "+15005550006"  # the number a messaging service would pick from its pool
REPLIES = (
    "Yes, count me in!",
    "Who is this?",
    "I already voted",
    "Maybe, what time?",
    "Not interested, thanks",
    "Sure. Where do I sign up? https://example.org/ask",
    "I'll think about it",
    "Wrong number",
)
STOPS = ("STOP", "stop", "Stop.", "UNSUBSCRIBE", "  quit ")

Post = Callable[[str, dict, str], int]


@dataclass
class Rates:
    """Outcome shares of created messages, reply shares of delivered ones, and delays (s)."""

    undelivered_30007: float = 0.03  # carrier filtering
    undelivered_30003: float = 0.02  # unreachable handset
    failed_30034: float = 0.01  # unregistered sending number
    invalid_21211: float = 0.0  # refused at create: not a valid phone (a To not in E.164 always is)
    reply: float = 0.3
    stop: float = 0.05  # share of replies that are an opt-out keyword
    delay_min: float = 0.2
    delay_max: float = 2.0
    reply_delay_min: float = 1.0
    reply_delay_max: float = 10.0
    # Faults of the API itself, to exercise the sender's retry rules.
    fault_429: float = 0.0
    fault_500: float = 0.0  # answer 500, message not created
    fault_500_after_create: float = 0.0  # create the message, then answer 500
    fault_slow: float = 0.0  # create the message, answer only after slow_seconds
    slow_seconds: float = 20.0


@dataclass
class SimMessage:
    sid: str
    account_sid: str
    to: str
    body: str
    messaging_service_sid: str
    status_callback: str
    status: str = "accepted"
    error_code: int | None = None
    date_created: datetime = field(default_factory=lambda: datetime.now(UTC))

    def resource(self) -> dict:
        created = format_datetime(self.date_created)
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": created,
            "date_sent": created,
            "date_updated": format_datetime(datetime.now(UTC)),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": SENDER if self.status != "accepted" else None,
            "messaging_service_sid": self.messaging_service_sid or None,
            "num_media": "0",
            "num_segments": str(max(1, -(-len(self.body) // 153))),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}/Media.json"},
            "to": self.to,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json",
        }


class ApiError(Exception):
    def __init__(self, http_status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.http_status, self.code, self.message = http_status, code, message

    def body(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.http_status,
        }


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex


class Simulator:
    def __init__(
        self,
        *,
        rates: Rates | None = None,
        accounts: dict[str, str] | None = None,
        account_lookup: Callable[[str], str | None] | None = None,
        inbound_url: str,
        app_url: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.rates = rates or Rates()
        self.accounts = dict(accounts or {})
        self.account_lookup = account_lookup
        self.inbound_url = inbound_url
        self.app_url = app_url
        self.random = random.Random(seed)
        self.messages: dict[str, SimMessage] = {}
        self.stopped: set[tuple[str, str]] = set()  # (account, phone) that texted STOP
        self.counts: Counter = Counter()
        self._queue: list = []
        self._seq = itertools.count()
        self.lock = threading.Condition()

    # -- the Messages API ----------------------------------------------------------------

    def token_for(self, account_sid: str) -> str | None:
        if account_sid not in self.accounts and self.account_lookup is not None:
            token = self.account_lookup(account_sid)
            if token:
                self.accounts[account_sid] = token
        return self.accounts.get(account_sid)

    def authenticate(self, account_sid: str, user: str, password: str) -> None:
        token = self.token_for(account_sid)
        if token is None or user != account_sid or password != token:
            raise ApiError(401, 20003, "Authenticate")

    def create(self, account_sid: str, params: dict) -> tuple[dict, float]:
        """The new message as Twilio answers it, and how long to wait before answering;
        ApiError for a refusal."""
        r, roll = self.rates, self.random.random
        to, body = params.get("To", ""), params.get("Body", "")
        service = params.get("MessagingServiceSid", "")
        if not to:
            raise ApiError(400, 21604, "A 'To' phone number is required.")
        if not body:
            raise ApiError(400, 21602, "Message body is required.")
        if not service and not params.get("From"):
            raise ApiError(400, 21603, "A 'From' phone number is required.")
        if roll() < r.fault_429:
            raise ApiError(429, 20429, "Too Many Requests")
        if roll() < r.fault_500:
            raise ApiError(500, 20500, "Internal Server Error")
        if not E164_RE.fullmatch(to) or roll() < r.invalid_21211:
            raise ApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        with self.lock:
            if (account_sid, to) in self.stopped:
                raise ApiError(400, 21610, "Attempt to send to unsubscribed recipient")
            message = SimMessage(new_sid(), account_sid, to, body, service, params.get("StatusCallback", ""))
            self.messages[message.sid] = message
            self.counts["created"] += 1
            answer = message.resource()  # before any callback can move it on
        self._plan(message)
        if roll() < r.fault_500_after_create:
            raise ApiError(500, 20500, "Internal Server Error")
        return answer, (r.slow_seconds if roll() < r.fault_slow else 0.0)

    def listing(self, account_sid: str, to: str | None, sent_after: str | None) -> list[dict]:
        since = _parse_day(sent_after)
        with self.lock:
            found = [
                m
                for m in self.messages.values()
                if m.account_sid == account_sid and (not to or m.to == to) and (since is None or m.date_created >= since)
            ]
        return [m.resource() for m in sorted(found, key=lambda m: m.date_created, reverse=True)]

    def fetch(self, account_sid: str, sid: str) -> dict:
        message = self.messages.get(sid)
        if message is None or message.account_sid != account_sid:
            raise ApiError(404, 20404, f"The requested resource /Messages/{sid}.json was not found")
        return message.resource()

    # -- what Twilio posts back ----------------------------------------------------------

    def _final(self) -> tuple[str, int | None]:
        r, roll = self.rates, self.random.random()
        for status, code, share in (
            ("undelivered", 30007, r.undelivered_30007),
            ("undelivered", 30003, r.undelivered_30003),
            ("failed", 30034, r.failed_30034),
        ):
            if roll < share:
                return status, code
            roll -= share
        return "delivered", None

    def _plan(self, message: SimMessage) -> None:
        r = self.rates
        at = time.monotonic()
        final, code = self._final()
        steps = ["queued", final] if final == "failed" else ["queued", "sent", final]
        for status in steps:
            at += self.random.uniform(r.delay_min, r.delay_max)
            self._schedule(at, ("status", message.sid, status, code if status == final else None))
        if final == "delivered" and self.random.random() < r.reply:
            at += self.random.uniform(r.reply_delay_min, r.reply_delay_max)
            body = self.random.choice(STOPS if self.random.random() < r.stop else REPLIES)
            self._schedule(at, ("inbound", message.sid, body, None))

    def _schedule(self, at: float, item: tuple) -> None:
        with self.lock:
            heapq.heappush(self._queue, (at, next(self._seq), item))
            self.lock.notify_all()

    def next_due(self, *, wait: bool = True, timeout: float = 0.5) -> tuple | None:
        """The next delivery whose time has come (wait=False: the next one, whatever its time)."""
        with self.lock:
            if not wait:
                return heapq.heappop(self._queue)[2] if self._queue else None
            deadline = time.monotonic() + timeout
            while True:
                now = time.monotonic()
                if self._queue and self._queue[0][0] <= now:
                    return heapq.heappop(self._queue)[2]
                if now >= deadline:
                    return None
                until = self._queue[0][0] if self._queue else deadline
                self.lock.wait(max(0.0, min(until, deadline) - now))

    def pending_deliveries(self) -> int:
        with self.lock:
            return len(self._queue)

    def deliver(self, item: tuple, post: Post) -> None:
        kind, sid, value, code = item
        message = self.messages[sid]
        if kind == "status":
            with self.lock:
                message.status, message.error_code = value, code
            url, params = message.status_callback, self._status_params(message, value, code)
        else:
            url, params = self.inbound_url, self._inbound_params(message, value)
            keyword = keyword_of(value)
            with self.lock:
                if keyword == "out":
                    self.stopped.add((message.account_sid, message.to))
                elif keyword == "in":
                    self.stopped.discard((message.account_sid, message.to))
        if not url:
            return
        signature = RequestValidator(self.accounts[message.account_sid]).compute_signature(url, params)
        status = post(self._target(url), params, signature)
        self.counts[f"posted_{kind}_{'ok' if 200 <= status < 300 else status}"] += 1

    def _target(self, url: str) -> str:
        """Where to post: the signed URL, or the same path on app_url (e.g. behind a tunnel)."""
        if not self.app_url:
            return url
        app = urlsplit(self.app_url)
        parts = urlsplit(url)
        return urlunsplit((app.scheme, app.netloc, parts.path, parts.query, ""))

    def _status_params(self, message: SimMessage, status: str, code: int | None) -> dict:
        params = {
            "AccountSid": message.account_sid,
            "ApiVersion": API_VERSION,
            "From": SENDER,
            "To": message.to,
            "MessageSid": message.sid,
            "SmsSid": message.sid,
            "MessageStatus": status,
            "SmsStatus": status,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if code:
            params["ErrorCode"] = str(code)
        if status == "delivered":
            params["RawDlrDoneDate"] = datetime.now(UTC).strftime("%y%m%d%H%M")
        return params

    def _inbound_params(self, message: SimMessage, body: str) -> dict:
        sid = new_sid()
        self.counts["replies"] += 1
        params = {
            "ToCountry": "US",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "US",
            "To": SENDER,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": message.account_sid,
            "From": message.to,
            "ApiVersion": API_VERSION,
        }
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        return params


def _parse_day(raw: str | None) -> datetime | None:
    if not raw:
        return None
    text = raw.strip().lstrip("<>=")
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None
