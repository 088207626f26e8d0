"""A token bucket per CRM connection in Redis, so every worker together stays under the CRM's
rate (default 20 requests/s, one second of burst), and a 429's Retry-After pauses them all."""

import time
from functools import lru_cache

import redis
from django.conf import settings

# KEYS[1]: the bucket. ARGV: rate per second, capacity, now (seconds; "" = Redis' own clock, so
# workers on several machines share one clock). Answers the seconds to wait; 0 = token taken.
TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'blocked')
local tokens = tonumber(state[1]) or capacity
local ts = tonumber(state[2]) or now
local blocked = tonumber(state[3]) or 0
if now < blocked then
  return tostring(blocked - now)
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""

BLOCK = """
local now = tonumber(ARGV[2])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local until_ = now + tonumber(ARGV[1])
local blocked = tonumber(redis.call('HGET', KEYS[1], 'blocked')) or 0
if until_ > blocked then
  redis.call('HSET', KEYS[1], 'blocked', tostring(until_))
end
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(until_)
"""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


class TokenBucket:
    def __init__(self, key: str, rate: float) -> None:
        self.key = f"datasync:bucket:{key}"
        self.rate = max(float(rate), 0.1)
        self.capacity = max(self.rate, 1.0)
        self._last_local = 0.0

    @classmethod
    def for_connection(cls, connection) -> "TokenBucket":
        return cls(str(connection.pk), connection.requests_per_second)

    def try_take(self, now: float | None = None) -> float:
        """Take a token if one is there; answers 0, or the seconds to wait before asking again."""
        if not settings.REDIS_URL:
            # The embedded demo has no Redis: pace this process alone.
            clock = time.monotonic() if now is None else now
            wait = self._last_local + 1 / self.rate - clock
            if wait <= 0:
                self._last_local = clock
                return 0.0
            return wait
        args = [self.rate, self.capacity, "" if now is None else now]
        return float(_client(settings.REDIS_URL).eval(TAKE, 1, self.key, *args))

    def take(self, max_wait: float) -> float:
        """Wait for a token; answers 0 once taken, or the wait asked for when it is past `max_wait`."""
        while (wait := self.try_take()) > 0:
            if wait > max_wait:
                return wait
            time.sleep(wait)
        return 0.0

    def block_for(self, seconds: float, now: float | None = None) -> None:
        """Hold every worker of this connection back (a 429 with Retry-After)."""
        if settings.REDIS_URL and seconds > 0:
            _client(settings.REDIS_URL).eval(BLOCK, 1, self.key, seconds, "" if now is None else now)

    def reset(self) -> None:
        if settings.REDIS_URL:
            _client(settings.REDIS_URL).delete(self.key)
