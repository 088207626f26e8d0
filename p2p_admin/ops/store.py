"""The Redis connections health checks and the operations page use."""

from functools import lru_cache

import redis
from django.conf import settings


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    # Short timeouts: a hung Redis must fail a check, not hang a load balancer's probe or the page.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def redis_client(url: str | None = None) -> redis.Redis:
    """REDIS_URL's Redis, or the one at `url` (the Celery broker may be another database)."""
    return _client(url or settings.REDIS_URL)
