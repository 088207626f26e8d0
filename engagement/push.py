"""Push notification backends. `database` (the default) stores each notification for the
volunteer app to read (GET /api/v1/me/notifications/); `fcm` sends to the users' registered
devices through Firebase Cloud Messaging with the `firebase-admin` SDK and a service account.

Settings: ENGAGEMENT_PUSH_BACKEND ("database" | "fcm"), FCM_SERVICE_ACCOUNT_FILE (the
service account JSON) and FCM_API_BASE_URL (https://fcm.googleapis.com; a test double
points it elsewhere, as the service account's `token_uri` does for the OAuth token)."""

import hashlib
import json
import threading
import warnings
from typing import TYPE_CHECKING

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .models import BulkJob, DeviceToken, Notification

if TYPE_CHECKING:  # the SDK takes ~0.2 s to import: only processes that push pay for it
    import firebase_admin
    from firebase_admin.exceptions import FirebaseError

FCM_DEFAULT_BASE_URL = "https://fcm.googleapis.com"
TIMEOUT = 10
BATCH = 500  # FCM's limit for one send_each


class DatabaseBackend:
    def send(self, *, job: BulkJob, user_ids: list[int], title: str, body: str) -> dict[int, str]:
        """Store one notification per user; returns {user_id: error} for those that failed."""
        Notification.objects.bulk_create(
            [Notification(organization_id=job.organization_id, user_id=uid, job=job, title=title, body=body) for uid in user_ids]
        )
        return {}


_apps_lock = threading.Lock()


def firebase_app(account: dict, base_url: str) -> "firebase_admin.App":
    """One firebase-admin app per service account and endpoint, kept for the process, so its
    OAuth token is fetched once and reused until it expires."""
    import firebase_admin
    from firebase_admin import credentials, messaging

    name = "p2p-" + hashlib.sha256(json.dumps([account, base_url], sort_keys=True).encode()).hexdigest()[:16]
    with _apps_lock:
        try:
            return firebase_admin.get_app(name)
        except ValueError:
            pass
        app = firebase_admin.initialize_app(credentials.Certificate(account), {"httpTimeout": TIMEOUT}, name=name)
        if base_url.rstrip("/") != FCM_DEFAULT_BASE_URL:
            # The SDK hard-codes Google's host; a simulator or test double takes its place here.
            service = messaging._get_messaging_service(app)
            service._fcm_url = f"{base_url.rstrip('/')}/v1/projects/{app.project_id}/messages:send"
        return app


def fcm_error(exc: "FirebaseError") -> str:
    """FCM's own error code when it names one (UNREGISTERED, SENDER_ID_MISMATCH…), else the
    canonical one (INVALID_ARGUMENT, UNAVAILABLE…) with the SDK's words."""
    try:
        details = exc.http_response.json()["error"].get("details", [])
        codes = [d["errorCode"] for d in details if d.get("errorCode")]
        if codes:
            return codes[0]
    except (AttributeError, ValueError, KeyError, TypeError):
        pass
    return f"{exc.code}: {exc}" if exc.code else str(exc)


def token_is_dead(exc: "FirebaseError") -> bool:
    """FCM says this token will never work again: forget the device."""
    from firebase_admin import messaging
    from firebase_admin.exceptions import NOT_FOUND

    return isinstance(exc, messaging.UnregisteredError) or exc.code == NOT_FOUND


class FCMBackend:
    def __init__(self) -> None:
        path = settings.FCM_SERVICE_ACCOUNT_FILE
        if not path:
            raise ImproperlyConfigured("ENGAGEMENT_PUSH_BACKEND=fcm needs FCM_SERVICE_ACCOUNT_FILE")
        try:
            with open(path, encoding="utf-8") as fh:
                account = json.load(fh)
            self.app = firebase_app(account, settings.FCM_API_BASE_URL)
        except (OSError, ValueError) as exc:
            raise ImproperlyConfigured(f"FCM_SERVICE_ACCOUNT_FILE {path!r} is not a usable service account: {exc}") from exc

    def _fresh_token(self) -> None:
        """send_each sends from several threads, each of which would fetch its own OAuth token
        for a credential that has none yet: fetch it once, here, when it is missing or expiring."""
        import google.auth.transport.requests

        credential = self.app.credential.get_credential()
        if not credential.valid:
            credential.refresh(google.auth.transport.requests.Request())

    def _send(self, tokens: list[str], title: str, body: str, data: dict) -> list[tuple[str | None, bool]]:
        """(error or None, whether the token is dead) per token, in order; at most BATCH a call."""
        from firebase_admin import messaging
        from firebase_admin.exceptions import FirebaseError
        from google.auth.exceptions import GoogleAuthError

        out: list[tuple[str | None, bool]] = []
        notification = messaging.Notification(title=title, body=body)
        if tokens:
            try:
                self._fresh_token()
            except (GoogleAuthError, requests.RequestException) as exc:
                return [(f"no OAuth token for FCM: {exc}", False)] * len(tokens)
        for i in range(0, len(tokens), BATCH):
            chunk = tokens[i : i + BATCH]
            with warnings.catch_warnings():
                # The SDK now prefers Firebase installation ids (fid); volunteers' apps register
                # FCM registration tokens, which FCM's v1 API still takes as `token`.
                warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
                messages = [messaging.Message(token=token, notification=notification, data=data) for token in chunk]
            try:
                batch = messaging.send_each(messages, app=self.app)
            except FirebaseError as exc:  # the whole call failed (no OAuth token, FCM unreachable)
                out += [(fcm_error(exc), False)] * len(chunk)
                continue
            for r in batch.responses:
                out.append((None, False) if r.success else (fcm_error(r.exception), token_is_dead(r.exception)))
        return out

    def send(self, *, job: BulkJob, user_ids: list[int], title: str, body: str) -> dict[int, str]:
        devices: dict[int, list[str]] = {uid: [] for uid in user_ids}
        for uid, token in DeviceToken.objects.filter(user_id__in=user_ids).order_by("id").values_list("user_id", "token"):
            devices[uid].append(token)
        pairs = [(uid, token) for uid, tokens in devices.items() for token in tokens]
        results = self._send([token for _, token in pairs], title, body, {"job": str(job.id), "action": str(job.action_id)})
        errors: dict[int, list[str]] = {uid: [] for uid in user_ids}
        dead: list[str] = []
        for (uid, token), (error, is_dead) in zip(pairs, results, strict=True):
            if error:
                errors[uid].append(error)
            if is_dead:
                dead.append(token)
        DeviceToken.objects.filter(token__in=dead).delete()
        failures: dict[int, str] = {}
        for uid, tokens in devices.items():
            if not tokens:
                failures[uid] = "no device registered for push"
            elif len(errors[uid]) == len(tokens):
                failures[uid] = "; ".join(errors[uid])
        return failures


BACKENDS = {"database": DatabaseBackend, "fcm": FCMBackend}


def push_backend() -> DatabaseBackend | FCMBackend:
    name = settings.ENGAGEMENT_PUSH_BACKEND
    if name not in BACKENDS:
        raise ImproperlyConfigured(f"ENGAGEMENT_PUSH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return BACKENDS[name]()
