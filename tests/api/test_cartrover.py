"""The CartRover-compatible reads, compared exactly with the fixtures of CARTROVER_API.md."""

import re
from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from merchants.services import api_key_create, api_key_revoke
from tests.api.conftest import basic
from tests.factories import AliasFactory, InventoryLevelFactory, ProductFactory, WarehouseFactory
from warehouses.models import Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(new_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(new_key.api_key.prefix, new_key.key))
    return client


@pytest.fixture
def fixture_data(merchant):
    """The data of the inventory fixture: CIO-1003, 10 in EAST and 20 in WEST."""
    east = WarehouseFactory(merchant=merchant, external_code="E1", name="EAST")
    west = WarehouseFactory(merchant=merchant, external_code="W1", name="WEST")
    product = ProductFactory(merchant=merchant, sku="CIO-1003")
    Product.objects.filter(pk=product.pk).update(
        last_reported_at=datetime(2016, 8, 27, 2, 24, 58, tzinfo=UTC)
    )
    wms_time = datetime(2014, 1, 14, 1, 48, 7, tzinfo=UTC)
    for warehouse, quantity in ((east, 10), (west, 20)):
        InventoryLevelFactory(
            product=product,
            warehouse=warehouse,
            quantity_on_hand=quantity,
            quantity_available=quantity,
            wms_updated_at=wms_time,
        )
    AliasFactory(product=product, name="ALT_CODE", value="Some Alt Code")
    AliasFactory(product=product, name="UPC", value="SomeUPCCode")
    return {"east": east, "west": west, "product": product}


def expected_inventory_row(fixture_data) -> dict:
    east, west = str(fixture_data["east"].pk), str(fixture_data["west"].pk)
    return {
        "sku": "CIO-1003",
        "qty_available": 30,
        "qty_on_hand": 30,
        "wms_datetime": "2016-08-27T02:24:58+00:00",
        "aliases": {"ALT_CODE": "Some Alt Code", "UPC": "SomeUPCCode"},
        "warehouses": {
            east: {
                "warehouse": "EAST",
                "qty_available": 10,
                "qty_on_hand": 10,
                "wms_datetime": "2014-01-14T01:48:07+00:00",
            },
            west: {
                "warehouse": "WEST",
                "qty_available": 20,
                "qty_on_hand": 20,
                "wms_datetime": "2014-01-14T01:48:07+00:00",
            },
        },
    }


def test_inventory_list_matches_the_fixture_exactly(vendor, fixture_data):
    response = vendor.get("/v1/merchant/inventory")

    assert response.status_code == 200
    assert response.json() == {
        "success_code": True,
        "response": [expected_inventory_row(fixture_data)],
    }
    assert response["total-records"] == "1"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-CartRover-Process-ID"])
    assert response["X-CartRover-Api-Minute-Hits-Remaining"] == "99"


def test_inventory_of_one_sku_matches_the_fixture_exactly(vendor, fixture_data):
    response = vendor.get("/v1/merchant/inventory/CIO-1003")

    assert response.json() == {
        "success_code": True,
        "response": expected_inventory_row(fixture_data),
    }


def test_product_matches_the_fixture_with_the_fields_we_do_not_keep_null(vendor, merchant):
    product = ProductFactory(merchant=merchant, sku="CIO-1001")
    Product.objects.filter(pk=product.pk).update(
        updated_at=datetime(2018, 1, 2, 16, 26, 25, tzinfo=UTC)
    )
    AliasFactory(product=product, name="merchantSKU", value="CIO-1001-SKU")
    AliasFactory(product=product, name="UPC", value="...")

    response = vendor.get("/v1/merchant/product/CIO-1001")

    assert response.json() == {
        "success_code": True,
        "response": {
            "sku": "CIO-1001",
            "name": None,
            "description": None,  # the fixture's "..." (we keep no description)
            "retail_price": None,  # the fixture's 10.12 (we keep no prices)
            "wholesale_price": None,
            "weight_lbs": None,
            "wms_product_main_id": None,
            "last_updated_datetime": "2018-01-02 16:26:25",
            "aliases": [
                {"code_type": "UPC", "code": "..."},
                {"code_type": "merchantSKU", "code": "CIO-1001-SKU"},
            ],
        },
    }


def test_product_without_aliases_or_levels_has_empty_arrays(vendor, merchant):
    ProductFactory(merchant=merchant, sku="BARE")

    row = vendor.get("/v1/merchant/inventory/BARE").json()["response"]

    assert row == {
        "sku": "BARE",
        "qty_available": 0,
        "qty_on_hand": 0,
        "wms_datetime": None,
        "aliases": [],
        "warehouses": [],
    }


def test_disabled_warehouse_is_excluded_from_the_sums_and_the_map(vendor, fixture_data):
    fixture_data["west"].is_enabled = False
    fixture_data["west"].save()

    row = vendor.get("/v1/merchant/inventory/CIO-1003").json()["response"]

    assert (row["qty_available"], row["qty_on_hand"]) == (10, 10)
    assert list(row["warehouses"]) == [str(fixture_data["east"].pk)]


def test_sku_with_a_slash_url_encoded(vendor, merchant):
    ProductFactory(merchant=merchant, sku="A/B 1")

    response = vendor.get("/v1/merchant/inventory/A%2FB%201")

    assert response.json()["response"]["sku"] == "A/B 1"


def test_paging_defaults_to_20_and_reports_total_records(vendor, merchant):
    for number in range(45):
        ProductFactory(merchant=merchant, sku=f"S{number:02d}")

    first = vendor.get("/v1/merchant/inventory")
    third = vendor.get("/v1/merchant/inventory", {"page": 3})
    big = vendor.get("/v1/merchant/inventory", {"limit": 250})

    assert [row["sku"] for row in first.json()["response"]] == [f"S{n:02d}" for n in range(20)]
    assert [row["sku"] for row in third.json()["response"]] == [f"S{n:02d}" for n in range(40, 45)]
    assert len(big.json()["response"]) == 45
    assert first["total-records"] == third["total-records"] == "45"
    assert vendor.get("/v1/merchant/inventory", {"page": 9}).json()["response"] == []


@pytest.mark.parametrize("params", [{"limit": "x"}, {"page": "0"}, {"limit": "-5"}])
def test_bad_paging_is_an_invalid_error(vendor, db, params):
    response = vendor.get("/v1/merchant/inventory", params)

    assert response.status_code == 400
    assert response.json()["success_code"] is False
    assert response.json()["error_code"] == "Invalid"


def test_query_parameter_credentials_work(new_key, fixture_data):
    response = APIClient().get(
        "/v1/merchant/inventory",
        {"api_user": new_key.api_key.prefix, "api_key": new_key.key},
    )

    assert response.json()["response"][0]["sku"] == "CIO-1003"


@pytest.mark.parametrize("kind", ["wrong_user", "wrong_key", "revoked", "none", "garbage"])
def test_bad_credentials_are_an_invalid_error_envelope(new_key, kind, db):
    client = APIClient()
    if kind == "wrong_user":
        client.credentials(HTTP_AUTHORIZATION=basic("aaaaaaaaaaaa", new_key.key))
    elif kind == "wrong_key":
        client.credentials(HTTP_AUTHORIZATION=basic(new_key.api_key.prefix, new_key.key + "x"))
    elif kind == "revoked":
        api_key_revoke(api_key=new_key.api_key)
        client.credentials(HTTP_AUTHORIZATION=basic(new_key.api_key.prefix, new_key.key))
    elif kind == "garbage":
        client.credentials(HTTP_AUTHORIZATION="Basic !!!")

    response = client.get("/v1/merchant/inventory")

    assert response.status_code == 401
    assert response.json() == {
        "success_code": False,
        "error_code": "Invalid",
        "message": "Invalid API credentials.",
    }
    assert response["X-CartRover-Process-ID"]


def test_unknown_sku_and_another_merchants_sku_are_not_found(vendor, other_merchant):
    ProductFactory(merchant=other_merchant, sku="THEIRS")

    for url in ("/v1/merchant/inventory/THEIRS", "/v1/merchant/product/THEIRS"):
        response = vendor.get(url)
        assert response.status_code == 404
        assert response.json() == {
            "success_code": False,
            "error_code": "Invalid",
            "message": "SKU THEIRS not found.",
        }
    assert vendor.get("/v1/merchant/inventory").json()["response"] == []


def test_leaky_bucket_allows_100_calls_then_rate_limit_error(merchant):
    new_key = api_key_create(merchant=merchant, name="burst")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(new_key.api_key.prefix, new_key.key))

    remaining = []
    over = None
    for _ in range(300):  # 100 calls, plus the few that leak out while they run
        response = client.get("/v1/merchant/inventory")
        if response.status_code == 429:
            over = response
            break
        remaining.append(int(response["X-CartRover-Api-Minute-Hits-Remaining"]))

    assert remaining[:3] == [99, 98, 97]
    assert 100 <= len(remaining) < 300
    assert over is not None
    assert over.status_code == 429
    assert over.json() == {
        "success_code": False,
        "error_code": "RateLimit",
        "message": "Over API Limit. Please slow down requests.",
    }
    assert int(over["Retry-After"]) >= 0
