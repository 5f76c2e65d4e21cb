"""The Vendure connector against a real Vendure 3.7.3 server (no Celery): its reads, its
quantity mapping onto Vendure's stock model, and its errors, including those Vendure answers with
HTTP 200. Skipped when no Vendure server is running."""

import pytest

from carts.connectors.base import CartItem, ItemResult, QuantityUpdate
from carts.connectors.vendure import VendureCartConnector
from integration_manager.connector_errors import ConfigurationError
from tests.vendure.vendure_api import VendureAdmin, VendureShopper

pytestmark = pytest.mark.vendure

BEYOND_GRAPHQL_INT = 2**31  # GraphQL Int is 32-bit signed


@pytest.fixture
def shop(vendure_admin: VendureAdmin, sku_prefix: str):
    """A stock location of this test, a few variants and an API key for the sync."""
    admin = vendure_admin
    location_name = f"{sku_prefix} Cart DC"
    location = admin.create_stock_location(location_name)

    def variant(name: str, **options) -> str:
        product = admin.create_product(f"{sku_prefix} {name}", f"{sku_prefix.lower()}-{name}")
        return admin.create_variant(product, f"{sku_prefix}-{name.upper()}", **options)

    ids = {
        "tracked": variant("tracked", stock={"1": 5}, threshold=2),
        "inherit": variant("inherit", track_inventory="INHERIT"),
        "untracked": variant("untracked", track_inventory="FALSE"),
    }
    ids["twin"] = admin.create_variant(
        admin.create_product(f"{sku_prefix} twin", f"{sku_prefix.lower()}-twin"),
        f"{sku_prefix}-TRACKED",
    )
    api_key = admin.create_api_key(f"{sku_prefix.lower()}-sync")
    return {
        "admin": admin,
        "location": location,
        "location_name": location_name,
        "ids": ids,
        "api_key": api_key,
    }


def connector(url: str, shop: dict, **parameters) -> VendureCartConnector:
    return VendureCartConnector(
        parameters={
            "base_url": url,
            "stock_location": shop["location_name"],
            "backoff_base": 0.01,
            "read_timeout": 60,
            **parameters,
        },
        secrets={"api_key": shop["api_key"]},
    )


def test_check_names_the_channel_and_the_chosen_stock_location(vendure_server_url, shop):
    assert connector(vendure_server_url, shop).check() == (
        f"Vendure channel __default_channel__, stock location {shop['location_name']} "
        f"(id {shop['location']})"
    )
    # The location may be given by id too.
    by_id = connector(vendure_server_url, shop, stock_location=shop["location"])
    assert by_id.settings.location_id == shop["location"]


def test_a_rejected_api_key_and_an_unknown_stock_location_are_configuration_errors(
    vendure_server_url, shop
):
    wrong_key = VendureCartConnector(
        parameters={"base_url": vendure_server_url}, secrets={"api_key": "abc123:not-a-key"}
    )
    with pytest.raises(ConfigurationError, match="Vendure refused the API key: You are not"):
        wrong_key.check()

    unknown = connector(vendure_server_url, shop, stock_location="Nowhere DC")
    with pytest.raises(ConfigurationError, match="no stock location 'Nowhere DC'") as error:
        unknown.check()
    assert f"{shop['location_name']} (id {shop['location']})" in error.value.message


def test_items_report_inventory_enabled_and_the_saleable_quantity(
    vendure_server_url, shop, sku_prefix
):
    ids = shop["ids"]
    items = {
        item.external_item_id: item
        for item in connector(vendure_server_url, shop).list_items()
        if item.sku.startswith(sku_prefix)
    }

    assert set(items) == set(ids.values())
    # 5 on hand in the Default location, threshold 2: Vendure sells 3.
    assert items[ids["tracked"]].quantity == 3
    assert items[ids["tracked"]].is_inventory_tracked is True
    # INHERIT follows the global setting (on by default); FALSE is not inventory-enabled.
    assert (items[ids["inherit"]].is_inventory_tracked, items[ids["inherit"]].quantity) == (True, 0)
    assert (items[ids["untracked"]].is_inventory_tracked, items[ids["untracked"]].quantity) == (
        False,
        None,
    )


def test_sku_lookup_is_exact_case_sensitive_and_returns_every_duplicate(
    vendure_server_url, shop, sku_prefix
):
    ids = shop["ids"]
    found = connector(vendure_server_url, shop).items_by_sku(
        [f"{sku_prefix}-TRACKED", f"{sku_prefix}-tracked", f"{sku_prefix}-TRACK", "NOPE"]
    )

    assert {
        sku: sorted(item.external_item_id for item in items) for sku, items in found.items()
    } == {
        f"{sku_prefix}-TRACKED": sorted([ids["tracked"], ids["twin"]]),
        f"{sku_prefix}-tracked": [],
        f"{sku_prefix}-TRACK": [],
        "NOPE": [],
    }
    assert all(isinstance(item, CartItem) for item in found[f"{sku_prefix}-TRACKED"])


def test_writes_make_saleable_equal_the_quantity_over_allocations_threshold_and_other_locations(
    vendure_server_url, shop
):
    admin, location, tracked = shop["admin"], shop["location"], shop["ids"]["tracked"]
    # Given an order of 2 allocated (PaymentAuthorized) on the tracked variant,
    VendureShopper(vendure_server_url).place_order(tracked, 2)
    allocated = sum(level.allocated for level in admin.variant_stock(tracked).levels)
    assert allocated == 2
    cart = connector(vendure_server_url, shop)

    # when 10 is posted twice (a repeated post changes nothing),
    first = cart.set_quantities([QuantityUpdate(tracked, 10)])
    after_first = admin.variant_stock(tracked)
    second = cart.set_quantities([QuantityUpdate(tracked, 10)])

    # then on hand at the cart's location = 10 + 2 allocated + threshold 2 - 5 held elsewhere,
    assert first == second == [ItemResult(tracked, ok=True, quantity=10)]
    assert admin.variant_stock(tracked) == after_first
    assert after_first.level_at(location)[0] == 9
    assert after_first.level_at("1")[0] == 5
    # and Vendure itself lets a shopper buy exactly 10.
    refused = VendureShopper(vendure_server_url).add_to_cart(tracked, 50)
    assert (refused["__typename"], refused["quantityAvailable"]) == ("InsufficientStockError", 10)


def test_unknown_untracked_and_rejected_items_fail_alone_and_the_rest_are_written(
    vendure_server_url, shop
):
    admin, location, ids = shop["admin"], shop["location"], shop["ids"]
    cart = connector(vendure_server_url, shop)

    # An id Vendure does not have, an untracked variant, and a quantity Vendure's GraphQL Int
    # cannot hold (the whole input list is rejected, so the connector sends items one by one).
    results = cart.set_quantities(
        [
            QuantityUpdate(ids["inherit"], 6),
            QuantityUpdate("999999999", 3),
            QuantityUpdate(ids["untracked"], 4),
            QuantityUpdate(ids["twin"], BEYOND_GRAPHQL_INT),
        ]
    )

    assert [(result.external_item_id, result.ok, result.quantity) for result in results] == [
        (ids["inherit"], True, 6),
        ("999999999", False, None),
        (ids["untracked"], False, None),
        (ids["twin"], False, None),
    ]
    assert results[1].error_message == "Vendure has no product variant 999999999 (deleted?)."
    assert results[2].error_message == (
        f"Vendure does not track inventory for variant {ids['untracked']} (trackInventory FALSE)."
    )
    assert results[3].error_message == (
        'Vendure rejected the request (BAD_USER_INPUT): Variable "$input" got invalid value '
        f'{BEYOND_GRAPHQL_INT} at "input[0].stockLevels[0].stockOnHand"; Int cannot represent '
        f"non 32-bit signed integer value: {BEYOND_GRAPHQL_INT}"
    )
    assert not any(result.is_transient for result in results)
    # Only the good item was written.
    assert admin.variant_stock(ids["inherit"]).level_at(location) == (6, 0)
    assert admin.variant_stock(ids["untracked"]).level_at(location) == (0, 0)
    assert admin.variant_stock(ids["twin"]).level_at(location) == (0, 0)
