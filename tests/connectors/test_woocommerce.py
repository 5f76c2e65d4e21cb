"""The WooCommerce connector, over real HTTP against the WooCommerce emulator on loopback, alone
and through the real upload service."""

import math

import pytest
import requests

from carts.connectors.base import CartItem, ItemResult, QuantityUpdate
from carts.connectors.woocommerce import MAX_BATCH, PER_PAGE, WooCommerceCartConnector
from carts.models import ListingStatus
from integration_manager.connector_errors import ConfigurationError
from merchants.services import connection_secrets_update
from sync.models import RunState
from tests.connectors.cart_setup import FAST_RETRIES, cart_on, open_connection_alert, stock_many
from tests.emulators.server import EmulatorServer, Fault
from tests.emulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceEmulator

SECRETS = {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET}


@pytest.fixture
def woo():
    app = WooCommerceEmulator()
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def connector_for(woo, secrets=SECRETS, **parameters) -> WooCommerceCartConnector:
    return WooCommerceCartConnector(
        parameters={"store_url": woo.url, **FAST_RETRIES, **parameters}, secrets=secrets
    )


def test_check_names_the_store_after_an_authenticated_call(woo):
    woo.seed(3)

    assert connector_for(woo).check() == "WooCommerce store Emulated Woo Store (3 products)"
    assert [call.path for call in woo.calls] == ["/wp-json/wc/v3/products", "/wp-json/"]


def test_check_with_a_wrong_secret_is_a_configuration_error_with_woos_message(woo):
    with pytest.raises(ConfigurationError) as raised:
        connector_for(woo, secrets={**SECRETS, "consumer_secret": "cs_wrong_0123"}).check()

    assert raised.value.platform_message == "Consumer key is invalid."
    assert "cs_wrong_0123" not in raised.value.message
    assert woo.count() == 1


def test_a_store_url_over_plain_http_is_refused_except_on_this_machine():
    with pytest.raises(ConfigurationError):
        WooCommerceCartConnector(
            parameters={"store_url": "http://shop.example.com"}, secrets=SECRETS
        )
    WooCommerceCartConnector(parameters={"store_url": "https://shop.example.com"}, secrets=SECRETS)


def test_list_items_pages_products_and_variations_to_the_last_page(woo):
    woo.seed(250, quantity=4)
    variable = woo.add_product("TEE", 30, type="variable")
    own_stock = woo.add_variation(variable, "TEE-S", 2)
    inherits = woo.add_variation(variable, "TEE-M", manage_stock="parent")
    untracked = woo.add_variation(variable, "TEE-L", manage_stock=False)
    no_stock_parent = woo.add_product("CAP", None, type="variable", manage_stock=False)
    cap = woo.add_variation(no_stock_parent, "CAP-RED", 5)
    woo.add_product("MUG", None, manage_stock=False)

    items = list(connector_for(woo).list_items())

    # 253 products in 3 pages of 100, then one page of variations per variable product.
    assert woo.count("read") == math.ceil(253 / PER_PAGE) + 2
    assert len(items) == 250 + 1 + 3 + 1 + 1
    by_sku = {item.sku: item for item in items}
    assert by_sku["SKU-000000"] == CartItem(
        external_item_id=str(woo.objects[101].id),
        external_parent_id="",
        sku="SKU-000000",
        title="Product SKU-000000",
        is_inventory_tracked=True,
        quantity=4,
    )
    # The variable product holds the stock its "parent" variations share: it is the item written.
    assert by_sku["TEE"] == CartItem(str(variable.id), "", "TEE", "Product TEE", True, 30)
    assert by_sku["TEE-S"] == CartItem(
        f"{variable.id}/{own_stock.id}", str(variable.id), "TEE-S", "Product TEE - TEE-S", True, 2
    )
    assert by_sku["TEE-M"] == CartItem(
        f"{variable.id}/{inherits.id}",
        str(variable.id),
        "TEE-M",
        "Product TEE - TEE-M (stock managed on the parent product)",
        False,
        30,
    )
    assert (by_sku["TEE-L"].is_inventory_tracked, by_sku["TEE-L"].quantity) == (False, None)
    assert untracked.stock_quantity is None
    assert "CAP" not in by_sku
    assert by_sku["CAP-RED"].external_item_id == f"{no_stock_parent.id}/{cap.id}"
    assert (by_sku["MUG"].is_inventory_tracked, by_sku["MUG"].quantity) == (False, None)


def test_the_emulator_refuses_pages_and_batches_over_100(woo):
    auth = (CONSUMER_KEY, CONSUMER_SECRET)
    page = requests.get(
        f"{woo.url}/wp-json/wc/v3/products", params={"per_page": 101}, auth=auth, timeout=5
    )
    batch = requests.post(
        f"{woo.url}/wp-json/wc/v3/products/batch",
        json={"update": [{"id": 1, "stock_quantity": 1}] * 101},
        auth=auth,
        timeout=5,
    )

    assert (page.status_code, page.json()["code"]) == (400, "rest_invalid_param")
    assert (batch.status_code, batch.json()["code"]) == (
        413,
        "woocommerce_rest_request_entity_too_large",
    )
    with pytest.raises(ValueError):
        connector_for(woo).set_quantities([QuantityUpdate(str(n), 1) for n in range(101)])


def test_set_quantities_batches_products_and_each_parents_variations(woo):
    simple = woo.add_product("A", 1)
    variable = woo.add_product("TEE", None, type="variable", manage_stock=False)
    small = woo.add_variation(variable, "TEE-S", 2)

    results = connector_for(woo).set_quantities(
        [
            QuantityUpdate(str(simple.id), 9, expected_quantity=1),
            QuantityUpdate(f"{variable.id}/{small.id}", 4),
        ]
    )

    assert results == [
        ItemResult(str(simple.id), ok=True, quantity=9),
        ItemResult(f"{variable.id}/{small.id}", ok=True, quantity=4),
    ]
    assert [call.path for call in woo.calls] == [
        "/wp-json/wc/v3/products/batch",
        f"/wp-json/wc/v3/products/{variable.id}/variations/batch",
    ]
    assert woo.written == [(simple.id, 9), (small.id, 4)]


def test_per_item_errors_inside_a_200_batch_fail_only_their_items(woo):
    first, failing, last = woo.seed(3, quantity=1)
    woo.fail_item(failing.id, "woocommerce_rest_invalid_stock", "Stock is locked.")

    results = connector_for(woo).set_quantities(
        [
            QuantityUpdate(str(first.id), 5),
            QuantityUpdate(str(failing.id), 5),
            QuantityUpdate("999999", 5),
            QuantityUpdate(str(last.id), 5),
        ]
    )

    assert results == [
        ItemResult(str(first.id), ok=True, quantity=5),
        ItemResult(
            str(failing.id),
            ok=False,
            error_message="woocommerce_rest_invalid_stock: Stock is locked.",
        ),
        ItemResult(
            "999999", ok=False, error_message="woocommerce_rest_product_invalid_id: Invalid ID."
        ),
        ItemResult(str(last.id), ok=True, quantity=5),
    ]
    assert woo.written == [(first.id, 5), (last.id, 5)]
    assert woo.quantity(failing.id) == 1
    assert woo.count("write") == 1


def test_a_429_and_a_5xx_on_a_batch_are_retried_and_nothing_is_lost(woo):
    products = woo.seed(3, quantity=0)
    woo.inject(
        Fault(status=429, body={"code": "too_many", "message": "Slow down"}, retry_after="0.05")
    )
    woo.inject(Fault(status=503, body={"code": "down", "message": "Maintenance"}, kind="write"))

    results = connector_for(woo).set_quantities(
        [QuantityUpdate(str(product.id), 6) for product in products]
    )

    assert all(result.ok for result in results)
    assert [call.status for call in woo.calls] == [429, 503, 200]
    assert [woo.quantity(product.id) for product in products] == [6, 6, 6]


def test_a_5xx_in_the_middle_of_paging_is_retried_and_the_read_completes(woo):
    woo.seed(250)
    iterator = connector_for(woo).list_items()
    first = next(iterator)
    woo.inject(Fault(status=502, body={"code": "bad_gateway", "message": "Bad gateway"}))

    rest = list(iterator)

    assert len([first, *rest]) == 250
    assert [call.status for call in woo.calls] == [200, 502, 200, 200]


def test_an_upload_makes_one_write_per_100_changed_items_and_none_when_nothing_changed(woo, db):
    products = woo.seed(260, quantity=1)
    setup = cart_on("woocommerce", parameters={"store_url": woo.url}, secrets=SECRETS)
    stock_many(setup, {p.sku: 3 if index < 201 else 1 for index, p in enumerate(products)})

    run = setup.upload()

    assert run.state == RunState.SUCCEEDED
    assert (run.records_read, run.items_sent, run.items_failed) == (260, 201, 0)
    assert woo.count("write") == math.ceil(201 / MAX_BATCH) == 3
    assert woo.count("read") == math.ceil(260 / PER_PAGE)
    assert [len(call) for call in woo.writes] == [100, 100, 1]
    assert woo.quantity(products[0].id) == 3
    assert woo.quantity(products[259].id) == 1
    assert setup.listing(str(products[0].id)).status == ListingStatus.UPDATED

    woo.reset_calls()
    again = setup.upload()

    assert again.items_sent == 0
    assert woo.count() == 0


def test_bad_credentials_fail_the_upload_raise_an_alert_and_pause_the_schedule(woo, db):
    woo.seed(1)
    setup = cart_on("woocommerce", parameters={"store_url": woo.url}, secrets=SECRETS)
    connection_secrets_update(connection=setup.cart, secrets={"consumer_secret": "cs_revoked_77"})

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "Consumer key is invalid." in run.message
    assert "cs_revoked_77" not in run.message
    assert open_connection_alert(setup.cart) is not None
    assert "Consumer key is invalid." in setup.cart.scheduling_paused_reason
    assert woo.count("write") == 0
