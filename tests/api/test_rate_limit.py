"""The leaky bucket of /api/v1/: per key, 429 with Retry-After when full, leaking over time."""

import time

import pytest
from rest_framework.test import APIClient

from integration_manager.api.throttling import leaky_bucket_take
from merchants.services import api_key_create

pytestmark = pytest.mark.django_db


def test_key_over_its_bucket_gets_429_with_retry_after(merchant, other_merchant, settings):
    settings.API_RATE_LIMIT_CALLS = 3
    settings.API_RATE_LIMIT_LEAK_SECONDS = 30
    client, other = APIClient(), APIClient()
    client.credentials(HTTP_X_API_KEY=api_key_create(merchant=merchant, name="a").key)
    other.credentials(HTTP_X_API_KEY=api_key_create(merchant=other_merchant, name="b").key)

    statuses = [client.get("/api/v1/merchants/").status_code for _ in range(4)]
    refused = client.get("/api/v1/merchants/")

    assert statuses == [200, 200, 200, 429]
    assert refused.json()["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.get("/api/v1/merchants/").status_code == 200  # a bucket per key


def test_bucket_leaks_one_call_per_interval(db):
    identity = f"test:{time.monotonic_ns()}"

    taken = [
        leaky_bucket_take(identity=identity, capacity=2, leak_seconds=0.2).is_allowed
        for _ in range(3)
    ]
    time.sleep(0.25)
    after_leak = leaky_bucket_take(identity=identity, capacity=2, leak_seconds=0.2)

    assert taken == [True, True, False]
    assert after_leak.is_allowed
    assert after_leak.remaining == 0


def test_refused_call_says_how_long_until_it_fits(db):
    identity = f"test:{time.monotonic_ns()}"
    for _ in range(5):
        leaky_bucket_take(identity=identity, capacity=5, leak_seconds=10)

    refused = leaky_bucket_take(identity=identity, capacity=5, leak_seconds=10)

    assert not refused.is_allowed
    assert 9 < refused.retry_after <= 10
