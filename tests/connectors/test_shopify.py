"""The Shopify connector, over real HTTP against the Shopify emulator on loopback, alone and
through the real upload service."""

import math
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from carts.connectors import cart_connector_for
from carts.connectors.base import CartItem, ItemResult, QuantityUpdate
from carts.connectors.shopify import (
    DEFAULT_API_VERSION,
    MAX_QUANTITIES_PER_CALL,
    ShopifyCartConnector,
)
from carts.models import ListingStatus
from carts.services import cart_connection_check
from integration_manager.connector_errors import ConfigurationError, TransientError
from merchants.services import connection_secrets_update
from sync.models import RunState, UploadWriteIntent
from sync.services.upload import write_intents_purge
from tests.connectors.cart_setup import (
    FAST_RETRIES,
    cart_on,
    open_connection_alert,
    stock_many,
)
from tests.emulators.server import EmulatorServer, Fault
from tests.emulators.shopify import ACCESS_TOKEN, ShopifyEmulator

GRAPHQL = f"/admin/api/{DEFAULT_API_VERSION}/graphql.json"


@pytest.fixture
def shop():
    # A generous cost budget, so only the throttling tests wait for points.
    app = ShopifyEmulator(maximum_available=2000, restore_rate=100000)
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def connector_for(shop, *, token=ACCESS_TOKEN, **parameters) -> ShopifyCartConnector:
    return ShopifyCartConnector(
        parameters={
            "base_url": shop.url,
            "location_id": shop.default_location,
            **FAST_RETRIES,
            **parameters,
        },
        secrets={"access_token": token},
    )


def shopify_cart(shop, **parameters):
    return cart_on(
        "shopify",
        parameters={"base_url": shop.url, "location_id": shop.default_location, **parameters},
        secrets={"access_token": ACCESS_TOKEN},
    )


# --- check and credentials ----------------------------------------------------------------------


def test_check_names_the_shop_and_the_location(shop):
    assert connector_for(shop).check() == "Shopify shop Emulated Shop, location Main warehouse"
    assert shop.count("read") == 1


def test_check_with_a_wrong_token_is_a_configuration_error_with_shopifys_message(shop):
    with pytest.raises(ConfigurationError) as raised:
        connector_for(shop, token="shpat_wrong").check()

    assert raised.value.platform_message == (
        "[API] Invalid API key or access token (unrecognized login or wrong password)"
    )
    assert "shpat_wrong" not in raised.value.message
    assert shop.count() == 1


def test_check_with_an_unknown_location_is_a_configuration_error(shop):
    with pytest.raises(ConfigurationError) as raised:
        connector_for(shop, location_id="999").check()

    assert raised.value.message == (
        "Shopify: the location gid://shopify/Location/999 does not exist in this shop."
    )


def test_bad_credentials_fail_the_upload_raise_an_alert_and_pause_the_schedule(shop, db):
    shop.add_variant("A", 1)
    setup = shopify_cart(shop)
    connection_parameters = setup.cart.connection_parameters
    connection_secrets_update(connection=setup.cart, secrets={"access_token": "shpat_revoked"})
    setup.product("A", 5)

    run = setup.upload()

    assert run.state == RunState.FAILED
    assert "Invalid API key or access token" in run.message
    assert "shpat_revoked" not in run.message
    alert = open_connection_alert(setup.cart)
    assert alert is not None
    assert "Invalid API key or access token" in alert.message
    assert "Invalid API key or access token" in setup.cart.scheduling_paused_reason
    assert setup.cart.connection_parameters == connection_parameters
    assert shop.count("write") == 0
    assert shop.applied_mutations == 0


# --- reads --------------------------------------------------------------------------------------


def test_list_items_pages_to_the_last_page_within_the_query_cost_limit(shop):
    variants = shop.seed(600, quantity=4)
    untracked = shop.add_variant("UNTRACKED", 3, tracked=False)
    elsewhere = shop.add_variant("ELSEWHERE", None)

    items = list(connector_for(shop).list_items())

    # 249 variants per page: 2 + 249 x 4 = 998 points, within the 1000 single-query maximum.
    assert len(items) == 602
    assert shop.count("read") == math.ceil(602 / 249)
    assert items[0] == CartItem(
        external_item_id=variants[0].inventory_item_id,
        external_parent_id=variants[0].variant_id,
        sku="SKU-000000",
        title="Product SKU-000000",
        is_inventory_tracked=True,
        quantity=4,
    )
    by_sku = {item.sku: item for item in items}
    assert by_sku["UNTRACKED"].is_inventory_tracked is False
    assert by_sku["UNTRACKED"].external_item_id == untracked.inventory_item_id
    assert (by_sku["ELSEWHERE"].is_inventory_tracked, by_sku["ELSEWHERE"].quantity) == (False, None)
    assert elsewhere.levels == {}
    assert shop.throttled == 0


def test_list_items_shrinks_its_pages_to_fit_a_small_cost_bucket(shop):
    shop.maximum_available = shop.currently_available = 202
    shop.restore_rate = 20000
    shop.seed(120)

    items = list(connector_for(shop).list_items())

    # The first page (998 points) can never fit a 202-point bucket: Shopify says THROTTLED with
    # the bucket's size, and the connector asks for pages of (202 - 2) / 4 = 50 variants.
    assert len(items) == 120
    assert shop.throttled == 1
    assert shop.count("read") == 1 + math.ceil(120 / 50)


def test_the_emulator_refuses_pages_larger_than_250(shop):
    body = requests.post(
        shop.url + GRAPHQL,
        json={
            "query": "query V($first: Int!) { productVariants(first: $first) { nodes { id } } }",
            "variables": {"first": 251},
        },
        headers={"X-Shopify-Access-Token": ACCESS_TOKEN},
        timeout=5,
    ).json()

    assert body["errors"][0]["message"] == "first cannot exceed 250"


def test_a_5xx_in_the_middle_of_paging_is_retried_and_the_read_completes(shop):
    shop.seed(300)
    reads = []
    connector = connector_for(shop)
    iterator = connector.list_items()
    reads.append(next(iterator))
    shop.inject(Fault(status=503, body={"errors": "Service unavailable"}, kind="read"))

    reads.extend(iterator)

    assert len(reads) == 300
    assert [call.status for call in shop.calls] == [200, 503, 200]


# --- writes -------------------------------------------------------------------------------------


def test_set_quantities_sets_available_with_change_from_quantity_and_an_idempotency_key(shop):
    first = shop.add_variant("A", 1)
    second = shop.add_variant("B", 2)

    results = connector_for(shop).set_quantities(
        [
            QuantityUpdate(first.inventory_item_id, 10, expected_quantity=1),
            QuantityUpdate(second.inventory_item_id, 0, expected_quantity=None),
        ]
    )

    assert results == [
        ItemResult(first.inventory_item_id, ok=True, quantity=10),
        ItemResult(second.inventory_item_id, ok=True, quantity=0),
    ]
    assert shop.written == [(first.inventory_item_id, 10), (second.inventory_item_id, 0)]
    assert len(shop.idempotency) == 1
    assert (shop.count("write"), shop.applied_mutations) == (1, 1)


def test_the_emulator_refuses_a_2026_write_without_an_idempotency_key(shop):
    item = shop.add_variant("A", 1)
    body = requests.post(
        shop.url + GRAPHQL,
        json={
            "query": "mutation S($input: InventorySetQuantitiesInput!) { "
            "inventorySetQuantities(input: $input) { userErrors { code field message } } }",
            "variables": {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [
                        {
                            "inventoryItemId": item.inventory_item_id,
                            "locationId": shop.default_location,
                            "quantity": 3,
                            "changeFromQuantity": 1,
                        }
                    ],
                }
            },
        },
        headers={"X-Shopify-Access-Token": ACCESS_TOKEN},
        timeout=5,
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert shop.quantity(item.inventory_item_id) == 1


def test_a_2025_10_connection_uses_compare_quantity_and_no_key(shop):
    item = shop.add_variant("A", 1)
    connector = connector_for(shop, api_version="2025-10")

    results = connector.set_quantities([QuantityUpdate(item.inventory_item_id, 8, 1)])

    assert results == [ItemResult(item.inventory_item_id, ok=True, quantity=8)]
    assert shop.idempotency == {}
    assert shop.calls[-1].path == "/admin/api/2025-10/graphql.json"


def test_the_emulator_refuses_more_than_250_quantities_in_one_call(shop):
    variants = shop.seed(251)
    entries = [
        {
            "inventoryItemId": variant.inventory_item_id,
            "locationId": shop.default_location,
            "quantity": 1,
            "changeFromQuantity": None,
        }
        for variant in variants
    ]
    body = requests.post(
        shop.url + GRAPHQL,
        json={
            "query": "mutation S($input: InventorySetQuantitiesInput!, $key: String!) { "
            "inventorySetQuantities(input: $input) @idempotent(key: $key) { "
            "userErrors { code field message } } }",
            "variables": {
                "key": "k1",
                "input": {"name": "available", "reason": "correction", "quantities": entries},
            },
        },
        headers={"X-Shopify-Access-Token": ACCESS_TOKEN},
        timeout=5,
    ).json()

    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert body["data"] is None
    assert shop.applied_mutations == 0
    with pytest.raises(ValueError):
        connector_for(shop).set_quantities(
            [QuantityUpdate(variant.inventory_item_id, 1) for variant in variants]
        )
    assert shop.count("write") == 1


def test_user_errors_fail_only_their_items_and_the_rest_is_applied(shop):
    good = shop.add_variant("GOOD", 1)
    unstocked = shop.add_variant("UNSTOCKED", None)
    bundle = shop.add_variant("BUNDLE", 4, is_mutable=False)
    other = shop.add_variant("OTHER", 2)

    results = connector_for(shop).set_quantities(
        [
            QuantityUpdate(good.inventory_item_id, 5, 1),
            QuantityUpdate(unstocked.inventory_item_id, 5, None),
            QuantityUpdate(bundle.inventory_item_id, 5, 4),
            QuantityUpdate(other.inventory_item_id, 6, 2),
        ]
    )

    assert results == [
        ItemResult(good.inventory_item_id, ok=True, quantity=5),
        ItemResult(
            unstocked.inventory_item_id,
            ok=False,
            error_message="ITEM_NOT_STOCKED_AT_LOCATION: The inventory item is not stocked at "
            "the location.",
        ),
        ItemResult(
            bundle.inventory_item_id,
            ok=False,
            error_message="NON_MUTABLE_INVENTORY_ITEM: The specified inventory item is not "
            "allowed to be adjusted via API.",
        ),
        ItemResult(other.inventory_item_id, ok=True, quantity=6),
    ]
    # Shopify rejects a batch with any userError whole: the good items go again, alone.
    assert shop.count("write") == 2
    assert shop.written == [(good.inventory_item_id, 5), (other.inventory_item_id, 6)]
    assert shop.quantity(bundle.inventory_item_id) == 4
    assert unstocked.levels == {}


def test_a_compare_and_set_mismatch_fails_the_item_with_the_real_quantity(shop):
    edited = shop.add_variant("EDITED", 3)
    fine = shop.add_variant("FINE", 3)
    shop.set_quantity(edited.inventory_item_id, 9)  # someone edited it in the Shopify admin

    results = connector_for(shop).set_quantities(
        [
            QuantityUpdate(edited.inventory_item_id, 5, expected_quantity=3),
            QuantityUpdate(fine.inventory_item_id, 5, expected_quantity=3),
        ]
    )

    assert results == [
        ItemResult(
            edited.inventory_item_id,
            ok=False,
            quantity=9,
            error_message="CHANGE_FROM_QUANTITY_STALE: The changeFromQuantity value does not "
            "match persisted value.",
        ),
        ItemResult(fine.inventory_item_id, ok=True, quantity=5),
    ]
    assert shop.quantity(edited.inventory_item_id) == 9
    assert shop.written == [(fine.inventory_item_id, 5)]


def test_a_5xx_after_shopify_applied_the_batch_is_retried_with_the_same_key_and_not_applied_twice(
    shop,
):
    item = shop.add_variant("A", 1)
    shop.inject(
        Fault(status=502, body={"errors": "Bad gateway"}, after_handling=True, kind="write")
    )

    results = connector_for(shop).set_quantities([QuantityUpdate(item.inventory_item_id, 7, 1)])

    assert results == [ItemResult(item.inventory_item_id, ok=True, quantity=7)]
    assert [call.status for call in shop.calls] == [502, 200]
    assert (shop.applied_mutations, shop.replayed_mutations) == (1, 1)
    assert shop.written == [(item.inventory_item_id, 7)]
    assert shop.quantity(item.inventory_item_id) == 7


def test_a_batch_retried_after_a_transient_error_reuses_its_key_across_connectors(shop):
    item = shop.add_variant("A", 1)
    updates = [QuantityUpdate(item.inventory_item_id, 7, 1)]
    first_try = connector_for(shop, max_attempts=1)
    key = first_try.idempotency_key_for(updates)
    assert first_try.idempotency_key_for(updates) == key
    shop.inject(Fault(status=504, body={}, after_handling=True, kind="write"))

    with pytest.raises(TransientError):
        first_try.set_quantities(updates, idempotency_key=key)
    # The same instance keeps the key for the same batch until Shopify answers it.
    assert first_try.idempotency_key_for(updates) == key
    # A Celery retry in another process passes the stored key back.
    results = connector_for(shop).set_quantities(updates, idempotency_key=key)

    assert results == [ItemResult(item.inventory_item_id, ok=True, quantity=7)]
    assert (shop.applied_mutations, shop.replayed_mutations) == (1, 1)
    assert list(shop.idempotency) == [key]


def test_an_upload_retried_after_a_lost_answer_resends_the_batch_with_its_stored_key(shop, db):
    variants = shop.seed(3, quantity=1)
    setup = shopify_cart(shop, max_attempts=1)
    stock_many(setup, {variant.sku: 5 for variant in variants})
    # Shopify applies the write, but its answer is lost (504), and the HTTP client does not
    # retry it here (one attempt): the upload fails as transient, for Celery to retry.
    shop.inject(Fault(status=504, body={}, after_handling=True, kind="write"))

    with pytest.raises(TransientError):
        setup.upload()
    (intent,) = UploadWriteIntent.objects.filter(cart=setup.cart)
    # The key was stored (committed) before the call: it is the one Shopify received.
    assert list(shop.idempotency) == [intent.idempotency_key]
    assert {shop.quantity(variant.inventory_item_id) for variant in variants} == {5}

    # The retry, with a connector built afresh from the cart as another worker process would.
    run = setup.upload()

    assert run.state == RunState.SUCCEEDED
    assert f"stored idempotency key {intent.idempotency_key}" in run.log
    assert (shop.applied_mutations, shop.replayed_mutations) == (1, 1)
    assert list(shop.idempotency) == [intent.idempotency_key]
    assert not UploadWriteIntent.objects.filter(cart=setup.cart).exists()
    assert {setup.listing(variant.inventory_item_id).cart_quantity for variant in variants} == {5}


def test_a_batch_answered_definitively_leaves_no_stored_key_and_old_keys_are_purged(shop, db):
    variants = shop.seed(2, quantity=1)
    setup = shopify_cart(shop)
    stock_many(setup, {variant.sku: 4 for variant in variants})

    assert setup.upload().state == RunState.SUCCEEDED
    assert shop.applied_mutations == 1
    assert not UploadWriteIntent.objects.exists()

    now = timezone.now()
    fresh = UploadWriteIntent.objects.create(
        cart=setup.cart, fingerprint="fresh", idempotency_key="k1"
    )
    stale = UploadWriteIntent.objects.create(
        cart=setup.cart, fingerprint="stale", idempotency_key="k2"
    )
    UploadWriteIntent.objects.filter(pk=stale.pk).update(
        created_at=now - UploadWriteIntent.RETENTION - timedelta(minutes=1)
    )

    assert write_intents_purge(now=now) == 1
    assert list(UploadWriteIntent.objects.values_list("pk", flat=True)) == [fresh.pk]


def test_throttled_answers_are_waited_out_and_nothing_is_lost(shop):
    shop.restore_rate = 100  # 10 points (one mutation) come back in 0.1 s
    variants = shop.seed(5, quantity=0)
    shop.exhaust_budget()
    connector = connector_for(shop)

    results = connector.set_quantities(
        [QuantityUpdate(variant.inventory_item_id, 3, 0) for variant in variants]
    )

    assert all(result.ok for result in results)
    assert shop.throttled == 1
    assert connector.throttle_waits == 1
    assert shop.applied_mutations == 1
    assert [shop.quantity(variant.inventory_item_id) for variant in variants] == [3] * 5


def test_a_429_with_retry_after_is_retried_and_nothing_is_lost(shop):
    shop.throttle_status = 429
    shop.restore_rate = 100
    variant = shop.add_variant("A", 0)
    shop.exhaust_budget()

    results = connector_for(shop).set_quantities([QuantityUpdate(variant.inventory_item_id, 2, 0)])

    assert results == [ItemResult(variant.inventory_item_id, ok=True, quantity=2)]
    assert [call.status for call in shop.calls] == [429, 200]
    assert shop.applied_mutations == 1


def test_the_cost_bucket_is_respected_before_each_call(shop):
    # 30 points, 10 per mutation, 100 points/s: after three calls the connector waits for the
    # bucket instead of being throttled.
    shop.maximum_available = shop.currently_available = 30
    shop.restore_rate = 100
    variants = shop.seed(6, quantity=0)
    connector = connector_for(shop)

    for variant in variants:
        connector.set_quantities([QuantityUpdate(variant.inventory_item_id, 1, 0)])

    assert shop.throttled == 0
    assert shop.applied_mutations == 6
    assert connector.seconds_waited > 0.05


# --- through the upload service -----------------------------------------------------------------


def test_an_upload_makes_one_write_per_250_changed_items_and_none_when_nothing_changed(shop, db):
    variants = shop.seed(600, quantity=1)
    setup = shopify_cart(shop)
    stock_many(
        setup, {variant.sku: 1 if index >= 501 else 2 for index, variant in enumerate(variants)}
    )

    run = setup.upload()

    # 501 changed (quantity 1 → 2), 99 already in sync.
    assert run.state == RunState.SUCCEEDED
    assert (run.records_read, run.items_sent, run.items_failed) == (600, 501, 0)
    assert shop.count("write") == math.ceil(501 / MAX_QUANTITIES_PER_CALL) == 3
    assert shop.count("read") == math.ceil(600 / 249)
    assert [len(call) for call in shop.writes] == [250, 250, 1]
    assert shop.quantity(variants[0].inventory_item_id) == 2
    assert shop.quantity(variants[599].inventory_item_id) == 1
    listing = setup.listing(variants[0].inventory_item_id)
    assert (listing.status, listing.cart_quantity, listing.posted_quantity) == (
        ListingStatus.UPDATED,
        2,
        2,
    )

    shop.reset_calls()
    again = setup.upload()

    assert again.state == RunState.SUCCEEDED
    assert again.items_sent == 0
    assert shop.count() == 0


def test_the_registry_builds_the_shopify_connector_from_the_cart(shop, db):
    setup = shopify_cart(shop)

    connector = cart_connector_for(setup.cart)

    assert isinstance(connector, ShopifyCartConnector)
    assert connector.check().startswith("Shopify shop Emulated Shop")
    assert ACCESS_TOKEN not in repr(connector)


def test_an_upload_through_a_5xx_after_apply_and_a_throttle_loses_nothing_and_applies_once(
    shop, db
):
    variants = shop.seed(600, quantity=1)
    setup = shopify_cart(shop)
    stock_many(setup, {variant.sku: 2 for variant in variants})
    # The 2nd write is applied by Shopify but answered 503; the 3rd is answered THROTTLED.
    shop.inject(
        Fault(
            status=503, body={"errors": "Unavailable"}, after_handling=True, kind="write", after=1
        )
    )
    throttled = {
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
        "extensions": {
            "cost": {
                "requestedQueryCost": 10,
                "actualQueryCost": None,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 0,
                    "restoreRate": 100000.0,
                },
            }
        },
    }
    shop.inject(Fault(status=200, body=throttled, kind="write", after=2))

    run = setup.upload()

    assert run.state == RunState.SUCCEEDED
    assert (run.items_sent, run.items_failed) == (600, 0)
    assert [call.status for call in shop.calls if call.kind == "write"] == [200, 503, 200, 200, 200]
    assert (shop.applied_mutations, shop.replayed_mutations) == (3, 1)
    assert [len(call) for call in shop.writes] == [250, 250, 100]
    assert {shop.quantity(variant.inventory_item_id) for variant in variants} == {2}


def test_test_connection_shows_shopifys_own_message_when_the_token_is_refused(shop, db):
    setup = shopify_cart(shop)
    connection_secrets_update(connection=setup.cart, secrets={"access_token": "shpat_refused"})

    result = cart_connection_check(cart=setup.cart)

    assert result.is_ok is False
    assert result.message.startswith(
        f"Shopify POST {GRAPHQL} failed: HTTP 401: [API] Invalid API key or access token "
        "(unrecognized login or wrong password)"
    )
    assert "shpat_refused" not in result.message
    assert cart_connection_check(cart=shopify_cart(shop).cart).message == (
        "Shopify shop Emulated Shop, location Main warehouse"
    )
