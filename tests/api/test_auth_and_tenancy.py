"""Who may call /api/v1/, and what they see: the pages' tenancy rules, a key its merchant only."""

import pytest
from rest_framework.test import APIClient

from merchants.models import ApiKey
from merchants.services import api_key_authenticate, api_key_create, api_key_revoke
from tests.factories import AliasFactory

pytestmark = pytest.mark.django_db


def test_bearer_and_x_api_key_headers_authenticate(new_key, merchant):
    for header in (
        {"HTTP_AUTHORIZATION": f"Bearer {new_key.key}"},
        {"HTTP_X_API_KEY": new_key.key},
    ):
        response = APIClient().get("/api/v1/merchants/", **header)

        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [merchant.pk]


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_AUTHORIZATION": "Bearer imk_000000000000_nope"},
        {"HTTP_AUTHORIZATION": "Bearer garbage"},
        {"HTTP_X_API_KEY": "imk_x"},
        {},
    ],
)
def test_missing_or_invalid_key_is_401_json_not_a_login_redirect(db, header):
    response = APIClient().get("/api/v1/merchants/", **header)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


def test_revoked_key_is_refused(new_key):
    api_key_revoke(api_key=new_key.api_key)

    response = APIClient().get("/api/v1/merchants/", HTTP_AUTHORIZATION=f"Bearer {new_key.key}")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked API key."


def test_key_is_stored_hashed_and_shown_only_at_creation(merchant):
    new_key = api_key_create(merchant=merchant, name="push")

    stored = ApiKey.objects.get(pk=new_key.api_key.pk)
    assert new_key.key.startswith(f"imk_{stored.prefix}_")
    assert len(new_key.key) > 50
    assert new_key.key not in {stored.key_hash, stored.prefix, stored.name}
    assert len(stored.key_hash) == 64
    assert api_key_authenticate(key=new_key.key) == stored
    assert api_key_authenticate(key=new_key.key[:-1] + "x") is None


def test_key_use_is_recorded(new_key, api):
    assert new_key.api_key.last_used_at is None

    api.get("/api/v1/merchants/")

    new_key.api_key.refresh_from_db()
    assert new_key.api_key.last_used_at is not None


def test_session_of_a_logged_in_user_authenticates_reads(merchant_client, merchant, world):
    response = merchant_client.get("/api/v1/merchants/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [merchant.pk]


def test_session_write_without_csrf_token_is_refused(merchant_user, merchant):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(merchant_user)

    response = client.post(f"/api/v1/merchants/{merchant.pk}/downloads/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not merchant.sync_runs.exists()


def test_support_agent_session_sees_every_merchant(client, support_agent, world):
    client.force_login(support_agent)

    response = client.get("/api/v1/merchants/")

    assert len(response.json()["results"]) == 2


def _object_urls(objects) -> list[tuple[str, str]]:
    return [
        ("get", f"/api/v1/merchants/{objects['merchant'].pk}/"),
        ("patch", f"/api/v1/merchants/{objects['merchant'].pk}/"),
        ("get", f"/api/v1/warehouses/{objects['warehouse'].pk}/"),
        ("patch", f"/api/v1/warehouses/{objects['warehouse'].pk}/"),
        ("get", f"/api/v1/products/{objects['product'].pk}/"),
        ("get", f"/api/v1/levels/{objects['product'].levels.get().pk}/"),
        ("get", f"/api/v1/aliases/{objects['alias'].pk}/"),
        ("get", f"/api/v1/carts/{objects['cart'].pk}/"),
        ("patch", f"/api/v1/carts/{objects['cart'].pk}/"),
        ("get", f"/api/v1/listings/{objects['cart'].listings.get().pk}/"),
        ("get", f"/api/v1/runs/{objects['run'].pk}/"),
        ("post", f"/api/v1/merchants/{objects['merchant'].pk}/downloads/"),
        ("post", f"/api/v1/merchants/{objects['merchant'].pk}/inventory/"),
        ("post", f"/api/v1/carts/{objects['cart'].pk}/uploads/"),
    ]


@pytest.fixture
def world_with_aliases(world):
    for side in world.values():
        side["alias"] = AliasFactory(product=side["product"])
    return world


def test_another_merchants_objects_are_404_for_a_key(api, world_with_aliases):
    other = world_with_aliases["other"]
    runs_before = other["merchant"].sync_runs.count()

    for method, url in _object_urls(other):
        response = getattr(api, method)(url, {}, format="json")
        assert response.status_code == 404, (method, url)
        assert response.json() == {"detail": "Not found.", "code": "not_found"}

    assert other["merchant"].sync_runs.count() == runs_before


def test_own_objects_are_found_by_a_key(api, world_with_aliases):
    own = world_with_aliases["own"]

    for method, url in _object_urls(own):
        if method == "get":
            assert api.get(url).status_code == 200, url


def test_another_merchants_objects_are_404_for_a_merchant_user(merchant_client, world_with_aliases):
    for method, url in _object_urls(world_with_aliases["other"]):
        if method == "get":
            assert merchant_client.get(url).status_code == 404, url


@pytest.mark.parametrize(
    "path",
    ["merchants", "warehouses", "products", "aliases", "levels", "carts", "listings", "runs"],
)
def test_lists_show_only_the_keys_merchant(api, world_with_aliases, path):
    response = api.get(f"/api/v1/{path}/")

    assert response.status_code == 200
    own = world_with_aliases["own"]
    rows = response.json()["results"]
    assert rows
    merchant_ids = set()
    for row in rows:
        if "merchant" in row:
            merchant_ids.add(row["merchant"])
        elif path == "levels":
            merchant_ids.add(own["merchant"].pk if row["product"] == own["product"].pk else -1)
        elif path == "listings":
            merchant_ids.add(own["merchant"].pk if row["cart"] == own["cart"].pk else -1)
        else:
            merchant_ids.add(row["id"])
    assert merchant_ids == {own["merchant"].pk}
