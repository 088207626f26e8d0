"""Push notification backends. `database` (the default) stores each notification for the
volunteer app to read (GET /api/v1/me/notifications/); `fcm` sends to the users' registered
devices through Firebase Cloud Messaging's HTTP v1 API with a service account (the OAuth
assertion is signed here, so no Google SDK is needed).

Settings: ENGAGEMENT_PUSH_BACKEND ("database" | "fcm"), FCM_SERVICE_ACCOUNT_FILE (the
service account JSON) and FCM_API_BASE_URL (https://fcm.googleapis.com; a test double
points it elsewhere)."""

import base64
import json
import threading
import time

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import BulkJob, DeviceToken, Notification

FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# FCM answers these for a token that will never work again: forget the device.
DEAD_TOKEN_ERRORS = ("UNREGISTERED", "NOT_FOUND")
TIMEOUT = 10


class DatabaseBackend:
    def send(self, *, job: BulkJob, user_ids: list[int], title: str, body: str) -> dict[int, str]:
        """Store one notification per user; returns {user_id: error} for those that failed."""
        Notification.objects.bulk_create(
            [Notification(organization_id=job.organization_id, user_id=uid, job=job, title=title, body=body) for uid in user_ids]
        )
        return {}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FCMBackend:
    def __init__(self) -> None:
        path = settings.FCM_SERVICE_ACCOUNT_FILE
        if not path:
            raise ImproperlyConfigured("ENGAGEMENT_PUSH_BACKEND=fcm needs FCM_SERVICE_ACCOUNT_FILE")
        with open(path, encoding="utf-8") as fh:
            self.account = json.load(fh)
        self.base_url = settings.FCM_API_BASE_URL
        self.session = requests.Session()
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _assertion(self) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
        claims = {"iss": self.account["client_email"], "scope": FCM_SCOPE, "aud": self.account["token_uri"]}
        payload = _b64(json.dumps({**claims, "iat": now, "exp": now + 3600}).encode())
        key = serialization.load_pem_private_key(self.account["private_key"].encode(), password=None)
        signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}"

    def access_token(self) -> str:
        with self._lock:
            if self._token is None or self._token[1] < time.time() + 60:
                r = self.session.post(
                    self.account["token_uri"],
                    data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": self._assertion()},
                    timeout=TIMEOUT,
                )
                r.raise_for_status()
                data = r.json()
                self._token = (data["access_token"], time.time() + int(data.get("expires_in", 3600)))
            return self._token[0]

    def _send_one(self, token: str, title: str, body: str, data: dict) -> str | None:
        """None when FCM took it, else the error FCM named."""
        url = f"{self.base_url}/v1/projects/{self.account['project_id']}/messages:send"
        message = {"token": token, "notification": {"title": title, "body": body}, "data": data}
        r = self.session.post(
            url, json={"message": message}, headers={"Authorization": f"Bearer {self.access_token()}"}, timeout=TIMEOUT
        )
        if r.ok:
            return None
        try:
            error = r.json()["error"]
            details = [d.get("errorCode") for d in error.get("details", []) if d.get("errorCode")]
            return (details or [error.get("status")])[0] or f"HTTP {r.status_code}"
        except (ValueError, KeyError, TypeError):
            return f"HTTP {r.status_code}"

    def send(self, *, job: BulkJob, user_ids: list[int], title: str, body: str) -> dict[int, str]:
        devices: dict[int, list[str]] = {uid: [] for uid in user_ids}
        for uid, token in DeviceToken.objects.filter(user_id__in=user_ids).order_by("id").values_list("user_id", "token"):
            devices[uid].append(token)
        failures: dict[int, str] = {}
        dead: list[str] = []
        data = {"job": str(job.id), "action": str(job.action_id)}
        for uid, tokens in devices.items():
            errors = []
            for token in tokens:
                try:
                    error = self._send_one(token, title, body, data)
                except requests.RequestException as exc:
                    error = f"{type(exc).__name__}: {exc}"
                if error in DEAD_TOKEN_ERRORS:
                    dead.append(token)
                if error:
                    errors.append(error)
            if not tokens:
                failures[uid] = "no device registered for push"
            elif len(errors) == len(tokens):
                failures[uid] = "; ".join(errors)
        DeviceToken.objects.filter(token__in=dead).delete()
        return failures


BACKENDS = {"database": DatabaseBackend, "fcm": FCMBackend}


def push_backend() -> DatabaseBackend | FCMBackend:
    name = settings.ENGAGEMENT_PUSH_BACKEND
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"ENGAGEMENT_PUSH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return BACKENDS[name]()
