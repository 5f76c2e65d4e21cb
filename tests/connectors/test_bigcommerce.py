"""The BigCommerce connector, over real HTTP against the BigCommerce emulator on loopback, alone
and through the real upload service."""

import math

import pytest
import requests

from carts.connectors.base import CartItem, ItemResult, QuantityUpdate
from carts.connectors.bigcommerce import (
    LOCATION_ITEMS_LIMIT,
    MAX_ADJUSTMENT_ITEMS,
    PRODUCTS_LIMIT,
    BigCommerceCartConnector,
)
from integration_manager.connector_errors import ConfigurationError
from merchants.services import connection_secrets_update
from sync.models import RunState
from tests.connectors.cart_setup import FAST_RETRIES, cart_on, open_connection_alert, stock_many
from tests.emulators.bigcommerce import ACCESS_TOKEN, STORE_HASH, BigCommerceEmulator
from tests.emulators.server import EmulatorServer, Fault

ABSOLUTE = "/v3/inventory/adjustments/absolute"


@pytest.fixture
def store():
    app = BigCommerceEmulator()
    with EmulatorServer(app) as server:
        app.url = server.url
        app.base_url = f"{server.url}/stores/{STORE_HASH}"
        yield app


def connector_for(store, token=ACCESS_TOKEN, **parameters) -> BigCommerceCartConnector:
    return BigCommerceCartConnector(
        parameters={"base_url": store.base_url, **FAST_RETRIES, **parameters},
        secrets={"access_token": token},
    )


def test_check_names_the_store_and_the_location(store):
    assert connector_for(store).check() == (
        "BigCommerce store Emulated BigCommerce Store, location Default location"
    )


def test_check_with_a_wrong_token_is_a_configuration_error_with_the_platform_message(store):
    with pytest.raises(ConfigurationError) as raised:
        connector_for(store, token="bc_wrong_token_1").check()

    assert raised.value.platform_message == "No valid credentials were found in this request"
    assert "bc_wrong_token_1" not in raised.value.message
    assert store.count() == 1


def test_check_with_an_unknown_location_is_a_configuration_error(store):
    with pytest.raises(ConfigurationError) as raised:
        connector_for(store, location_id=7).check()

    assert raised.value.message == "BigCommerce: the location 7 does not exist in this store."


def test_list_items_follows_each_products_tracking_mode_and_pages_to_the_end(store):
    store.seed(300, quantity=4)
    by_product = store.add_product("TEE", 12, tracking="product", variant_skus={"TEE-S": 0})
    by_variant = store.add_product(
        "CAP", 0, tracking="variant", variant_skus={"CAP-R": 2, "CAP-B": 3}
    )
    single = store.add_product("PIN", 6, tracking="variant")
    untracked = store.add_product("EBOOK", 0, tracking="none")

    items = list(connector_for(store).list_items())

    # Location items: 304 tracked in 1 page of 1000; products: 304 in 2 pages of 250.
    assert store.count("read") == math.ceil(304 / LOCATION_ITEMS_LIMIT) + math.ceil(
        304 / PRODUCTS_LIMIT
    )
    by_sku = {item.sku: item for item in items}
    assert len(items) == 300 + 2 + 2 + 1 + 1
    assert by_sku["TEE"] == CartItem(f"product/{by_product.id}", "", "TEE", "Product TEE", True, 12)
    tee_small = by_product.variants[1]
    assert by_sku["TEE-S"] == CartItem(
        f"variant/{tee_small.id}", str(by_product.id), "TEE-S", "Product TEE (TEE-S)", False, None
    )
    red = by_variant.variants[1]
    assert by_sku["CAP-R"] == CartItem(
        f"variant/{red.id}", str(by_variant.id), "CAP-R", "Product CAP (CAP-R)", True, 2
    )
    assert by_sku["CAP-B"].quantity == 3
    assert "CAP" not in by_sku
    assert by_sku["PIN"] == CartItem(
        f"variant/{single.base_variant.id}", str(single.id), "PIN", "Product PIN", True, 6
    )
    assert by_sku["EBOOK"] == CartItem(
        f"product/{untracked.id}", "", "EBOOK", "Product EBOOK", False, None
    )


def test_the_emulator_refuses_pages_over_250_and_adjustments_over_2000(store):
    headers = {"X-Auth-Token": ACCESS_TOKEN}
    page = requests.get(
        f"{store.base_url}/v3/catalog/products", params={"limit": 251}, headers=headers, timeout=5
    )
    adjustment = requests.put(
        store.base_url + ABSOLUTE,
        json={"items": [{"location_id": 1, "product_id": 1, "quantity": 1}] * 2001},
        headers=headers,
        timeout=5,
    )

    assert page.status_code == 413
    assert adjustment.status_code == 413
    assert "maximum items allowed in the array is 2000" in adjustment.json()["title"]
    with pytest.raises(ValueError):
        connector_for(store).set_quantities(
            [QuantityUpdate(f"product/{n}", 1) for n in range(MAX_ADJUSTMENT_ITEMS + 1)]
        )


def test_set_quantities_adjusts_absolute_quantities_at_the_location(store):
    product = store.add_product("A", 1)
    capped = store.add_product("CAP", 0, tracking="variant", variant_skus={"CAP-R": 2})

    results = connector_for(store).set_quantities(
        [
            QuantityUpdate(f"product/{product.id}", 9, expected_quantity=1),
            QuantityUpdate(f"variant/{capped.variants[1].id}", 0),
        ]
    )

    assert results == [
        ItemResult(f"product/{product.id}", ok=True, quantity=9),
        ItemResult(f"variant/{capped.variants[1].id}", ok=True, quantity=0),
    ]
    assert store.count("write") == 1
    assert store.written == [
        (f"product_id:{product.id}", 9),
        (f"variant_id:{capped.variants[1].id}", 0),
    ]


def test_a_422_naming_an_item_fails_only_that_item_and_the_rest_is_sent_again(store):
    good, other = store.seed(2, quantity=1)
    tracked_by_product = store.add_product("TEE", 3, tracking="product", variant_skus={"TEE-S": 0})
    wrong = f"variant/{tracked_by_product.variants[1].id}"

    results = connector_for(store).set_quantities(
        [
            QuantityUpdate(f"product/{good.id}", 5),
            QuantityUpdate(wrong, 5),
            QuantityUpdate(f"product/{other.id}", 6),
        ]
    )

    assert results == [
        ItemResult(f"product/{good.id}", ok=True, quantity=5),
        ItemResult(
            wrong,
            ok=False,
            error_message=f"[Item with variant_id {tracked_by_product.variants[1].id} is tracked "
            "by product, please update stock by product id]",
        ),
        ItemResult(f"product/{other.id}", ok=True, quantity=6),
    ]
    assert [call.status for call in store.calls] == [422, 200]
    assert store.written == [(f"product_id:{good.id}", 5), (f"product_id:{other.id}", 6)]
    assert store.product_quantity(tracked_by_product.id) == 3


def test_a_422_naming_no_item_is_narrowed_down_by_halving(store):
    products = store.seed(4, quantity=1)
    store.inject(
        Fault(
            status=422,
            body={"status": 422, "title": "Invalid", "errors": {}},
            kind="write",
            times=1,
        )
    )
    store.inject(
        Fault(
            status=422,
            body={"status": 422, "title": "Invalid", "errors": {}},
            kind="write",
            times=1,
        )
    )
    store.inject(
        Fault(
            status=422,
            body={"status": 422, "title": "Invalid", "errors": {}},
            kind="write",
            times=1,
        )
    )

    results = connector_for(store).set_quantities(
        [QuantityUpdate(f"product/{product.id}", 2) for product in products]
    )

    # Whole batch → first half → its first item: that item fails, the rest goes through.
    assert [result.ok for result in results] == [False, True, True, True]
    assert results[0].error_message == "Invalid"
    assert store.count("write") == 5


def test_the_rate_limit_headers_are_honoured_before_any_429(store):
    store.quota = 3
    store.window_ms = 300
    store.seed(5)
    connector = connector_for(store)

    items = list(connector.list_items())
    connector.set_quantities([QuantityUpdate(items[0].external_item_id, 1)])
    connector.check()

    assert store.rate_limited == 0
    assert connector.seconds_waited > 0
    assert store.count() == 5


def test_a_429_waits_for_the_quota_reset_and_nothing_is_lost(store):
    products = store.seed(2, quantity=0)
    store.inject(
        Fault(
            status=429,
            body={"status": 429, "title": "Too many requests"},
            headers={"X-Rate-Limit-Time-Reset-Ms": "100", "X-Rate-Limit-Requests-Left": "0"},
            kind="write",
        )
    )

    results = connector_for(store).set_quantities(
        [QuantityUpdate(f"product/{product.id}", 4) for product in products]
    )

    assert all(result.ok for result in results)
    assert [call.status for call in store.calls] == [429, 200]
    assert [store.product_quantity(product.id) for product in products] == [4, 4]


def test_a_5xx_in_the_middle_of_paging_is_retried_and_the_read_completes(store):
    store.seed(600)
    store.inject(Fault(status=500, body={"status": 500, "title": "Internal"}, path="catalog"))

    items = list(connector_for(store).list_items())

    assert len(items) == 600
    assert [call.status for call in store.calls] == [200, 500, 200, 200, 200]


def test_an_upload_makes_one_adjustment_per_2000_changed_items_and_none_when_nothing_changed(
    store, db
):
    # Kept small: 2000 items per adjustment means 1 write here (the split into batches of the
    # maximum is the upload service's, shown on Shopify and WooCommerce).
    products = store.seed(300, quantity=1)
    setup = cart_on(
        "bigcommerce",
        parameters={"base_url": store.base_url},
        secrets={"access_token": ACCESS_TOKEN},
    )
    stock_many(setup, {p.sku: 2 if index < 251 else 1 for index, p in enumerate(products)})

    run = setup.upload()

    assert run.state == RunState.SUCCEEDED
    assert (run.records_read, run.items_sent, run.items_failed) == (300, 251, 0)
    assert store.count("write") == math.ceil(251 / MAX_ADJUSTMENT_ITEMS) == 1
    assert store.count("read") == math.ceil(300 / LOCATION_ITEMS_LIMIT) + math.ceil(
        300 / PRODUCTS_LIMIT
    )
    assert [len(call) for call in store.writes] == [251]
    assert store.product_quantity(products[0].id) == 2
    assert store.product_quantity(products[299].id) == 1

    store.reset_calls()
    again = setup.upload()

    assert again.items_sent == 0
    assert store.count() == 0


def test_bad_credentials_fail_the_upload_raise_an_alert_and_pause_the_schedule(store, db):
    store.seed(1)
    setup = cart_on(
        "bigcommerce",
        parameters={"base_url": store.base_url},
        secrets={"access_token": ACCESS_TOKEN},
    )
    connection_secrets_update(connection=setup.cart, secrets={"access_token": "bc_revoked_9"})

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "No valid credentials were found in this request" in run.message
    assert "bc_revoked_9" not in run.message
    assert open_connection_alert(setup.cart) is not None
    assert setup.cart.scheduling_paused_reason
    assert store.count("write") == 0
