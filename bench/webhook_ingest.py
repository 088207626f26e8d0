"""Webhook ingest under load: requests/s of the signed status webhook (organization lookup,
signature check, one INSERT … ON CONFLICT DO NOTHING, applier enqueued at most once per window)
over requests/s of a bare view in the same gunicorn that inserts one row through the ORM,
measured in alternating rounds in one run; every webhook event sent must be stored.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_twilio .venv/bin/python bench/webhook_ingest.py [--requests 4000]

Uses port 8111 and Redis db 1 (the broker, so the applier enqueue is real; nothing consumes it
here; its queue keys are deleted afterwards). The rows it inserts are deleted at the end.
"""

import argparse
import os
import sys
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-webhook-ingest-secret-key-0123456789",
    "FIELD_ENCRYPTION_KEY": "bench-webhook-ingest-field-key",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(SERVER_ENV)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from actions.models import TwilioEvent  # noqa: E402
from actions.tests import procs  # noqa: E402
from actions.twilio.kick import KICK_KEY  # noqa: E402
from bench import loadgen  # noqa: E402
from orgs.models import Organization  # noqa: E402

HOST, PORT = "127.0.0.1", 8111
BROKER = "redis://127.0.0.1:6379/1"
STATUS_PATH = "/webhooks/twilio/status/"


def webhook_requests(org: Organization, n: int) -> tuple[list[bytes], list[str]]:
    validator = RequestValidator(org.twilio_auth_token)
    url = f"http://{HOST}:{PORT}{STATUS_PATH}"
    out, sids = [], []
    for _ in range(n):
        sid = "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": org.twilio_account_sid,
            "ApiVersion": "2010-04-01",
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "MessagingServiceSid": org.messaging_service_sid,
            "To": "+12025550100",
            "From": "+15005550006",
        }
        headers = {"X-Twilio-Signature": validator.compute_signature(url, params)}
        out.append(loadgen.post_request(HOST, PORT, STATUS_PATH, urlencode(params), headers))
        sids.append(sid)
    return out, sids


def bare_requests(org: Organization, n: int) -> list[bytes]:
    return [
        loadgen.post_request(HOST, PORT, "/bench/bare-insert/", urlencode({"org": org.id, "MessageSid": "SM" + uuid.uuid4().hex}))
        for _ in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000, help="per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL (set DATABASE_URL).")
    call_command("migrate", verbosity=0)
    stamp = uuid.uuid4().hex
    org = Organization.objects.create(
        name=f"bench-{stamp}",
        slug=f"bench-{stamp}",
        twilio_account_sid="AC" + stamp,
        twilio_auth_token=uuid.uuid4().hex,
        messaging_service_sid="MG" + uuid.uuid4().hex,
    )
    rates: dict[str, list[float]] = {"bare": [], "webhook": []}
    sent = stored = 0
    bad: list[int] = []
    server = procs.gunicorn(PORT, BROKER, workers=args.workers, settings_module="bench.webhook_settings", extra_env=SERVER_ENV)
    try:
        warm, _ = webhook_requests(org, 200)
        loadgen.run(HOST, PORT, warm + bare_requests(org, 200), args.concurrency)
        for _ in range(args.rounds):
            rate, statuses = loadgen.run(HOST, PORT, bare_requests(org, args.requests), args.concurrency)
            rates["bare"].append(rate)
            bad += [s for s in statuses if s != 204]
            requests, sids = webhook_requests(org, args.requests)
            rate, statuses = loadgen.run(HOST, PORT, requests, args.concurrency)
            rates["webhook"].append(rate)
            bad += [s for s in statuses if s != 204]
            sent += len(sids)
            stored += TwilioEvent.objects.filter(
                organization=org, kind="status", status="delivered", message_sid__in=sids
            ).count()
    finally:
        server.kill()
        TwilioEvent.objects.filter(organization=org).delete()
        org.delete()
        redis.Redis.from_url(BROKER).delete("celery", "unacked", "unacked_index", KICK_KEY)
    bare, hook = max(rates["bare"]), max(rates["webhook"])
    print(f"gunicorn sync workers {args.workers}, client connections {args.concurrency}, {args.requests:,} requests a round")
    print(f"bare ORM insert view      {bare:8,.0f} req/s   rounds: {', '.join(f'{r:,.0f}' for r in rates['bare'])}")
    print(f"signed status webhook     {hook:8,.0f} req/s   rounds: {', '.join(f'{r:,.0f}' for r in rates['webhook'])}")
    print(
        f"ratio webhook / bare = {hook / bare:.2f} (best rounds; per-round ratios {', '.join(f'{w / b:.2f}' for w, b in zip(rates['webhook'], rates['bare'], strict=True))})"
    )
    print(f"webhook events sent {sent:,}, stored {stored:,}, lost {sent - stored:,}; non-2xx responses: {len(bad)}")


if __name__ == "__main__":
    main()
