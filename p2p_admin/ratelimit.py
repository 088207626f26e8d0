"""Abuse limits: fixed windows counted in Redis (INCR + EXPIRE, one round trip per counted
request), shared by every web process. Each limit is `settings.RATE_LIMITS[scope] = (requests, seconds)`, read at call time
so tests and operators can change it.

Fails open: with Redis down or slow (short timeouts) a request is let through, and Redis is
left alone for a few seconds rather than tried again on every request. Serving the campaign
matters more than refusing an abuser for a minute. Without REDIS_URL (the embedded demo)
nothing is limited."""

import logging
import math
import time
from collections.abc import Callable, Iterable
from functools import wraps

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from rest_framework.throttling import BaseThrottle

from .errors import error_response
from .ops.store import redis_client
from .security import client_ip

log = logging.getLogger(__name__)
KEY_PREFIX = "p2p:rl"
MAX_KEY_PART = 100  # keys carry caller-chosen text (an AccountSid): bounded
OFF_AFTER_ERROR_SECONDS = 5.0
_redis_off_until = {"at": 0.0}


def _redis(url: str) -> redis.Redis:
    return redis_client(url, timeout=0.1)  # counted on every limited request: fail open fast


def client_key(request: HttpRequest) -> str:
    """The address a per-client limit counts under (one shared key when there is none)."""
    return client_ip(request) or "unknown"


def limit_take(*, scope: str, key: str, now: float | None = None) -> float:
    """Count one request of `key` (an address, a user id, an account) in `scope`. Answers 0
    while within the limit, else the seconds until the window ends."""
    if not settings.RATE_LIMITS_ENABLED or not settings.REDIS_URL:
        return 0.0
    count, seconds = settings.RATE_LIMITS[scope]
    now = time.time() if now is None else now
    if now < _redis_off_until["at"]:
        return 0.0
    window = int(now // seconds)
    name = f"{KEY_PREFIX}:{scope}:{key[:MAX_KEY_PART]}:{window}"
    try:
        pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
        pipe.incr(name)
        pipe.expire(name, seconds + 1)
        hits, _ = pipe.execute()
    except redis.RedisError as exc:
        _redis_off_until["at"] = now + OFF_AFTER_ERROR_SECONDS
        log.warning("rate limits are off for %.0f s: Redis answered %s", OFF_AFTER_ERROR_SECONDS, exc)
        return 0.0
    if hits <= count:
        return 0.0
    return max((window + 1) * seconds - now, 0.001)


def too_many_requests(request: HttpRequest, wait: float) -> HttpResponse:
    retry_after = max(1, math.ceil(wait))
    detail = f"Too many requests from you; try again in {retry_after} second{'s' if retry_after != 1 else ''}."
    return error_response(request, 429, detail, headers={"Retry-After": str(retry_after)})


def limits_check(request: HttpRequest, limits: Iterable[tuple[str, str]]) -> HttpResponse | None:
    """Count the request in every (scope, key) given; a 429 when any is over its limit."""
    wait = max((limit_take(scope=scope, key=key) for scope, key in limits), default=0.0)
    return too_many_requests(request, wait) if wait else None


def rate_limited(scope: str, *, methods: tuple[str, ...] | None = None) -> Callable:
    """A view decorator: per client address, for every method or only `methods`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if methods is None or request.method in methods:
                refused = limits_check(request, [(scope, client_key(request))])
                if refused is not None:
                    return refused
            return view(request, *args, **kwargs)

        return limited

    return decorator


class _RateLimit(BaseThrottle):
    """DRF throttle over limit_take: the API's 429 says when to retry (Retry-After)."""

    scope = ""

    def key(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        key = self.key(request)
        self._wait = 0.0 if key is None else limit_take(scope=self.scope, key=key)
        return not self._wait

    def wait(self) -> float:
        return math.ceil(self._wait)


class UserRateLimit(_RateLimit):
    scope = "api_user"

    def key(self, request) -> str | None:
        return str(request.user.pk) if request.user and request.user.is_authenticated else None


class AnonRateLimit(_RateLimit):
    scope = "api_anon"

    def key(self, request) -> str | None:
        return None if request.user and request.user.is_authenticated else client_key(request)
