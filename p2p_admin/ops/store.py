"""The app's Redis clients, one per address and timeout, kept for the process. Timeouts are
short everywhere: a hung Redis must fail a health check, let a webhook through or a rate limit
open, never hang a request."""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=8)
def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)


def redis_client(url: str | None = None, *, timeout: float = 1.0) -> redis.Redis:
    """REDIS_URL's Redis, or the one at `url` (the Celery broker may be another database)."""
    return _client(url or settings.REDIS_URL, timeout)
