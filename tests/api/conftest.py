import base64

import pytest
from rest_framework.test import APIClient

from merchants.services import api_key_create


@pytest.fixture(autouse=True)
def roomy_rate_limit(settings):
    """The rate-limit tests set their own bucket; the others must never meet it."""
    settings.API_RATE_LIMIT_CALLS = 100_000


@pytest.fixture
def new_key(merchant):
    return api_key_create(merchant=merchant, name="WMS push")


@pytest.fixture
def api(new_key):
    """A client authenticated with the merchant's API key."""
    client = APIClient()
    client.default_format = "json"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new_key.key}")
    return client


@pytest.fixture
def other_api(other_merchant):
    client = APIClient()
    client.default_format = "json"
    key = api_key_create(merchant=other_merchant, name="other").key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def basic(api_user: str, key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_user}:{key}".encode()).decode()
