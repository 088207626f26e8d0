"""What the security layer costs, measured side by side in one run (in-process WSGI, no network):

1. the rate limiter (one pipelined INCR + EXPIRE) against a bare Redis PING, the floor for
   anything that asks Redis;
2. a signed status webhook through the deployed middleware stack against the same stack
   without the security middlewares (content security policy, body size limit, error bodies,
   django-axes): the price every Twilio callback pays;
3. a forged webhook (refused, and counted by the limiter) with limits on against limits off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/p2p_security REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/security_overhead.py [--requests 3000] [--rounds 3]

The broker is REDIS_URL's db, so the applier kick is a real enqueue (at most once a second;
nothing consumes it). The organization, its events and the Redis keys are removed at the end.
"""

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(
    {
        "DEBUG": "false",
        "SECRET_KEY": "bench-security-overhead-secret-key-0123456789",
        "FIELD_ENCRYPTION_KEY": "bench-security-overhead-field-key",
        "ALLOWED_HOSTS": "testserver",
        "PUBLIC_BASE_URL": "http://testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "LOG_LEVEL": "ERROR",
    }
)
os.environ.setdefault("CELERY_BROKER_URL", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "p2p_admin.settings")

import django

django.setup()
logging.disable(logging.WARNING)  # a log line per refused request would be what is measured

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from actions.models import TwilioEvent  # noqa: E402
from actions.twilio.kick import KICK_KEY  # noqa: E402
from orgs.models import Organization  # noqa: E402
from p2p_admin.ratelimit import KEY_PREFIX, limit_take  # noqa: E402

STATUS_PATH = "/webhooks/twilio/status/"
SECURITY_MIDDLEWARE = (
    "p2p_admin.middleware.ContentSecurityPolicyMiddleware",
    "p2p_admin.middleware.ErrorBodyMiddleware",
    "p2p_admin.middleware.BodySizeLimitMiddleware",
    "axes.middleware.AxesMiddleware",
)


def per_second(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def limiter_vs_ping(n: int) -> tuple[float, float]:
    client = redis.Redis.from_url(settings.REDIS_URL)
    started = time.perf_counter()
    for _ in range(n):
        client.ping()
    ping = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(n):
        limit_take(scope="webhook_refused", key=f"bench-{i % 50}")
    return per_second(n, ping), per_second(n, time.perf_counter() - started)


def status_environ(org: Organization, *, signed: bool) -> dict:
    sid = "SM" + uuid.uuid4().hex
    params = {
        "AccountSid": org.twilio_account_sid,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "To": "+12025550100",
        "From": "+15005550006",
    }
    validator = RequestValidator(org.twilio_auth_token)
    signature = validator.compute_signature(settings.PUBLIC_BASE_URL + STATUS_PATH, params) if signed else "forged"
    request = RequestFactory().post(
        STATUS_PATH, urlencode(params), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=signature
    )
    return request.environ


def serve(handler: WSGIHandler, environs: list[dict], expected: int) -> float:
    statuses = []

    def start_response(status, headers):
        statuses.append(int(status.split()[0]))

    started = time.perf_counter()
    for environ in environs:
        b"".join(handler(environ, start_response))
    elapsed = time.perf_counter() - started
    wrong = [s for s in statuses if s != expected]
    if wrong:
        sys.exit(f"unexpected statuses {sorted(set(wrong))} (expected {expected})")
    return per_second(len(environs), elapsed)


def rounds_line(label: str, rates: list[float]) -> str:
    return f"{label:42} {max(rates):8,.0f} req/s   rounds: {', '.join(f'{r:,.0f}' for r in rates)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=3000, help="per round and variant")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        sys.exit("Run the benchmark on PostgreSQL and Redis (set DATABASE_URL and REDIS_URL).")
    call_command("migrate", verbosity=0)
    stamp = uuid.uuid4().hex
    org = Organization.objects.create(
        name=f"bench-{stamp}", slug=f"bench-{stamp}", twilio_account_sid="AC" + stamp, twilio_auth_token=uuid.uuid4().hex
    )
    full = WSGIHandler()
    with override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m not in SECURITY_MIDDLEWARE]):
        bare = WSGIHandler()
    rates: dict[str, list[float]] = {"ping": [], "limit": [], "full": [], "bare": [], "refused_on": [], "refused_off": []}
    # Forged requests would trip the limit within a round: it is raised so every one is counted and refused (403).
    generous = {**settings.RATE_LIMITS, "webhook_refused": (10**9, 60), "webhook_refused_account": (10**9, 60)}
    try:
        with override_settings(RATE_LIMITS=generous):
            serve(full, [status_environ(org, signed=True) for _ in range(200)], 204)  # warm up
            serve(bare, [status_environ(org, signed=True) for _ in range(200)], 204)
            for _ in range(args.rounds):
                ping, limit = limiter_vs_ping(args.requests)
                rates["ping"].append(ping)
                rates["limit"].append(limit)
                rates["full"].append(serve(full, [status_environ(org, signed=True) for _ in range(args.requests)], 204))
                rates["bare"].append(serve(bare, [status_environ(org, signed=True) for _ in range(args.requests)], 204))
                rates["refused_on"].append(serve(full, [status_environ(org, signed=False) for _ in range(args.requests)], 403))
                with override_settings(RATE_LIMITS_ENABLED=False):
                    rates["refused_off"].append(
                        serve(full, [status_environ(org, signed=False) for _ in range(args.requests)], 403)
                    )
        stored = TwilioEvent.objects.filter(organization=org).count()
    finally:
        TwilioEvent.objects.filter(organization=org).delete()
        org.delete()
        client = redis.Redis.from_url(settings.REDIS_URL)
        client.delete("celery", "unacked", "unacked_index", KICK_KEY)
        for key in client.scan_iter(f"{KEY_PREFIX}:*"):
            client.delete(key)
    best = {k: max(v) for k, v in rates.items()}
    print(f"{args.requests:,} requests a round and variant, {args.rounds} rounds, one process (in-process WSGI)")
    print(rounds_line("Redis PING (floor)", rates["ping"]))
    print(rounds_line("rate limiter limit_take", rates["limit"]))
    print(f"  ratio limiter / PING = {best['limit'] / best['ping']:.2f}")
    print(rounds_line("signed webhook, without security middleware", rates["bare"]))
    print(rounds_line("signed webhook, deployed stack", rates["full"]))
    print(f"  ratio deployed / without = {best['full'] / best['bare']:.2f}")
    print(rounds_line("forged webhook, limits off", rates["refused_off"]))
    print(rounds_line("forged webhook, limits on (counted)", rates["refused_on"]))
    print(f"  ratio on / off = {best['refused_on'] / best['refused_off']:.2f}")
    signed = 400 + args.rounds * 2 * args.requests  # warm-up, then both stacks each round
    print(f"signed events stored {stored:,} of {signed:,} sent (none dropped by a limit)")


if __name__ == "__main__":
    main()
