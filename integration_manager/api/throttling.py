"""Rate limits: a leaky bucket per API key (or per logged-in user), kept in the cache.

A bucket holds at most `capacity` calls and leaks one every `leak_seconds`; a call that would
overflow it is refused, with the seconds until it fits (Retry-After). The CartRover-compatible
endpoints use the vendor's bucket (100 calls, one every 0.6 s); /api/v1/ uses
`API_RATE_LIMIT_CALLS` and `API_RATE_LIMIT_LEAK_SECONDS`.

Taking a call is atomic: on Redis (the cache when REDIS_URL is set) one Lua script reads and
writes the bucket; on the embedded file cache, an exclusive file lock serialises the processes
of the machine around the read and the write.
"""

import fcntl
import math
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

CARTROVER_CAPACITY = 100
CARTROVER_LEAK_SECONDS = 0.6

_LUA = """
local capacity = tonumber(ARGV[1])
local leak = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(state[1]) or 0
local at = tonumber(state[2]) or now
level = math.max(0, level - math.max(0, now - at) / leak)
local allowed = 0
local retry = 0
if level + 1 <= capacity then
  level = level + 1
  allowed = 1
else
  retry = (level + 1 - capacity) * leak
end
redis.call('HSET', KEYS[1], 'level', tostring(level), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity * leak) + 1)
return {allowed, tostring(level), tostring(retry)}
"""


@dataclass(frozen=True)
class BucketResult:
    is_allowed: bool
    remaining: int  # calls that still fit now
    retry_after: float  # seconds until this call would have fitted (0 when allowed)


def leaky_bucket_take(*, identity: str, capacity: int, leak_seconds: float) -> BucketResult:
    """Take one call from the bucket of `identity`, atomically."""
    key = f"ratelimit:{identity}"
    now = time.time()
    redis_client = _redis_client(key)
    if redis_client is not None:
        allowed, level, retry = redis_client.eval(
            _LUA, 1, cache.make_key(key), capacity, leak_seconds, now
        )
        level, retry = float(level), float(retry)
        is_allowed = bool(allowed)
    else:
        is_allowed, level, retry = _take_with_file_lock(key, capacity, leak_seconds, now)
    return BucketResult(
        is_allowed=is_allowed,
        remaining=max(math.floor(capacity - level), 0),
        retry_after=retry,
    )


def _redis_client(key: str):
    """The redis-py client behind Django's RedisCache, or None for another cache."""
    backend = getattr(cache, "_cache", None)
    get_client = getattr(backend, "get_client", None)
    if get_client is None or type(cache).__name__ != "RedisCache":
        return None
    return get_client(key, write=True)


def _take_with_file_lock(
    key: str, capacity: int, leak_seconds: float, now: float
) -> tuple[bool, float, float]:
    lock_path = Path(settings.VAR_DIR) / "ratelimit.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            level, at = cache.get(key) or (0.0, now)
            level = max(0.0, level - max(0.0, now - at) / leak_seconds)
            if level + 1 <= capacity:
                level += 1
                is_allowed, retry = True, 0.0
            else:
                is_allowed, retry = False, (level + 1 - capacity) * leak_seconds
            cache.set(key, (level, now), timeout=math.ceil(capacity * leak_seconds) + 1)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return is_allowed, level, retry


def rate_limit_identity(request) -> str:
    user = request.user
    identity = getattr(user, "rate_limit_identity", None)
    if identity:
        return identity
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"address:{request.META.get('REMOTE_ADDR', '')}"


class LeakyBucketThrottle(BaseThrottle):
    """The /api/v1/ rate limit. Over it: 429 with Retry-After."""

    def bucket(self) -> tuple[int, float]:
        return settings.API_RATE_LIMIT_CALLS, settings.API_RATE_LIMIT_LEAK_SECONDS

    def allow_request(self, request, view) -> bool:
        capacity, leak_seconds = self.bucket()
        self.result = leaky_bucket_take(
            identity=f"{self.scope}:{rate_limit_identity(request)}",
            capacity=capacity,
            leak_seconds=leak_seconds,
        )
        request.rate_limit = self.result
        return self.result.is_allowed

    def wait(self) -> float:
        return max(math.ceil(self.result.retry_after), 1)

    scope = "api"


class CartRoverThrottle(LeakyBucketThrottle):
    """The vendor's bucket: 100 calls, one leaking every 0.6 s."""

    scope = "cartrover"

    def bucket(self) -> tuple[int, float]:
        return CARTROVER_CAPACITY, CARTROVER_LEAK_SECONDS
