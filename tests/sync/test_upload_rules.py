"""The upload rules of PRODUCT.md §2 "Upload" and of the seed article, one test per rule, run
against the in-memory fake cart. Each test also asserts what was NOT written to the cart."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from carts.connectors.memory import memory_cart_store_reset
from carts.models import CartListing, ItemFilter, ItemFilterMode, ListingStatus
from sync.models import RunState
from sync.services.upload_plan import (
    Availability,
    Candidate,
    UploadRules,
    listing_decide,
)
from tests.sync.upload_fixtures import make_upload_setup
from warehouses.models import InventoryLevel, Product

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(db):
    """A merchant and a cart on an empty fake cart."""
    yield make_upload_setup()
    memory_cart_store_reset()


def test_first_upload_reads_the_cart_and_posts_quantity_available(setup):
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=3, title="Blue shirt", external_parent_id="p-1")

    run = setup.upload()

    assert (setup.store.list_calls, setup.store.write_calls) == (1, 1)
    assert setup.store.written == [("item-a", 7)]
    listing = setup.listing("item-a")
    assert listing.sku == "SKU-A"
    assert listing.title == "Blue shirt"
    assert listing.external_parent_id == "p-1"
    assert listing.product.sku == "SKU-A"
    assert (listing.cart_quantity, listing.posted_quantity) == (7, 7)
    assert listing.status == ListingStatus.UPDATED
    assert listing.last_synced_at is not None
    assert run.state == RunState.SUCCEEDED
    assert (run.records_read, run.items_sent, run.records_changed) == (1, 1, 1)
    assert (run.items_skipped, run.items_failed) == (0, 0)
    assert setup.cart.last_reconciled_at is not None


def test_minimum_inventory_level_5_posts_0_for_4_and_5_for_5(setup):
    setup.cart.minimum_inventory_level = 5
    setup.cart.save()
    setup.product("FOUR", 4)
    setup.product("FIVE", 5)
    setup.product("TWELVE", 12)
    setup.item("i-4", "FOUR", quantity=4)
    setup.item("i-5", "FIVE", quantity=1)
    setup.item("i-12", "TWELVE", quantity=1)

    setup.upload()

    assert setup.store.quantity_of("i-4") == 0
    assert setup.store.quantity_of("i-5") == 5
    # A threshold, never subtracted.
    assert setup.store.quantity_of("i-12") == 12
    assert "below the Minimum Inventory Level 5" in setup.listing("i-4").reason
    assert setup.listing("i-5").reason == ""


def test_minimum_inventory_level_0_is_off_and_posts_the_true_number(setup):
    setup.product("ONE", 1)
    setup.product("NONE", 0)
    setup.item("i-1", "ONE", quantity=0)
    setup.item("i-0", "NONE", quantity=3)

    setup.upload()

    assert setup.store.quantity_of("i-1") == 1
    assert setup.store.quantity_of("i-0") == 0


def test_combine_all_locations_sums_the_enabled_warehouses(setup):
    east = setup.warehouse("EAST")
    closed = setup.warehouse("CLOSED", is_enabled=False)
    product = setup.product("SKU-A", 3)
    setup.stock(product, 4, warehouse=east)
    setup.stock(product, 100, warehouse=closed)
    setup.item("item-a", "SKU-A")

    setup.upload()

    assert setup.cart.sync_warehouse is None
    assert setup.store.quantity_of("item-a") == 7


def test_one_sync_warehouse_posts_only_that_warehouses_quantity(setup):
    east = setup.warehouse("EAST")
    product = setup.product("SKU-A", 3)
    setup.stock(product, 4, warehouse=east)
    setup.item("item-a", "SKU-A")
    setup.item("item-b", "SKU-B", quantity=6)
    setup.product("SKU-B", 9)  # stock only in the Default warehouse
    setup.cart.sync_warehouse = east
    setup.cart.save()

    setup.upload()

    assert setup.store.quantity_of("item-a") == 4
    # No level in the chosen warehouse counts as 0.
    assert setup.store.quantity_of("item-b") == 0


def test_disabled_sync_warehouse_counts_as_0_and_says_why(setup):
    east = setup.warehouse("EAST", is_enabled=False)
    product = setup.product("SKU-A")
    setup.stock(product, 8, warehouse=east)
    setup.item("item-a", "SKU-A", quantity=8)
    setup.cart.sync_warehouse = east
    setup.cart.save()

    run = setup.upload()

    assert setup.store.quantity_of("item-a") == 0
    assert "'Warehouse EAST', which is disabled" in setup.listing("item-a").reason
    assert "which is disabled" in run.log


def test_push_inventory_using_alias_matches_alias_codes_and_skips_products_without_it(setup):
    setup.cart.push_alias_name = "UPC"
    setup.cart.save()
    with_upc = setup.product("MASTER-1", 5)
    setup.alias(with_upc, "UPC", "0001")
    without_upc = setup.product("MASTER-2", 6)
    setup.alias(without_upc, "EAN", "0002")
    setup.item("by-upc", "0001", quantity=0)
    setup.item("by-master-sku", "MASTER-2", quantity=1)
    setup.item("by-other-alias", "0002", quantity=2)

    run = setup.upload()

    assert setup.store.written == [("by-upc", 5)]
    assert setup.listing("by-upc").product == with_upc
    for item_id, quantity in (("by-master-sku", 1), ("by-other-alias", 2)):
        listing = setup.listing(item_id)
        assert listing.status == ListingStatus.NO_MATCH
        assert listing.product is None
        assert listing.last_synced_at is None
        assert "alias 'UPC'" in listing.reason
        assert setup.store.quantity_of(item_id) == quantity
    assert setup.listing("by-master-sku").reason.startswith("No product matches SKU 'MASTER-2'")
    assert setup.listing("by-master-sku").reason.endswith(
        "Product MASTER-2 has it as its Master SKU but no 'UPC' alias, so it is skipped."
    )
    assert run.items_skipped == 2


def test_master_sku_match_is_exact_so_a_different_case_does_not_match(setup):
    setup.product("abc-1", 5)
    setup.item("upper", "ABC-1", quantity=2)
    setup.item("spaced", "abc-1 ", quantity=3)

    setup.upload()

    assert setup.store.write_calls == 0
    assert setup.listing("upper").status == ListingStatus.NO_MATCH
    assert setup.listing("spaced").status == ListingStatus.NO_MATCH
    assert "Master SKU" in setup.listing("upper").reason


def test_an_alias_code_that_is_another_products_sku_is_ambiguous_and_names_both(setup):
    # SKUs and alias codes are each unique per merchant, so the one way a code can name two
    # products is one product's alias code being another product's Master SKU.
    setup.cart.push_alias_name = "UPC"
    setup.cart.save()
    setup.product("0001", 3)
    shirt = setup.product("SHIRT-RED", 8)
    setup.alias(shirt, "UPC", "0001")
    setup.item("clash", "0001", quantity=1)

    run = setup.upload()

    listing = setup.listing("clash")
    assert listing.status == ListingStatus.AMBIGUOUS
    assert listing.reason == (
        "SKU '0001' matches several products: 0001 (its Master SKU), SHIRT-RED (its 'UPC' "
        "alias). A code must identify one product only."
    )
    assert listing.product is None
    assert listing.last_synced_at is None
    assert setup.store.write_calls == 0
    assert setup.store.quantity_of("clash") == 1
    assert run.items_skipped == 1


def test_master_sku_mode_ignores_alias_codes(setup):
    setup.product("0001", 3)
    shirt = setup.product("SHIRT-RED", 8)
    setup.alias(shirt, "UPC", "0001")
    setup.item("by-sku", "0001", quantity=1)

    setup.upload()

    assert setup.store.written == [("by-sku", 3)]
    assert setup.listing("by-sku").product.sku == "0001"


def test_several_products_for_one_master_sku_are_reported_not_guessed():
    # The database refuses duplicate SKUs; the rule still holds on the decision itself.
    rules = UploadRules(
        alias_name="",
        item_filter_mode=ItemFilterMode.OFF,
        item_filter_skus=frozenset(),
        minimum_inventory_level=0,
    )

    decision = listing_decide(
        sku="SHIRT",
        is_inventory_enabled=True,
        candidates=[Candidate(1, "SHIRT"), Candidate(2, "SHIRT")],
        rules=rules,
        availability=Availability({1: 5, 2: 6}),
    )

    assert decision.status == ListingStatus.AMBIGUOUS
    assert (decision.quantity, decision.product_id) == (None, None)


def test_several_cart_items_with_one_sku_are_all_set_to_the_same_number(setup):
    setup.product("SKU-A", 9)
    setup.item("variant-1", "SKU-A", quantity=1)
    setup.item("variant-2", "SKU-A", quantity=9)
    setup.item("variant-3", "SKU-A", quantity=-2)

    run = setup.upload()

    assert [setup.store.quantity_of(item) for item in ("variant-1", "variant-2", "variant-3")] == [
        9,
        9,
        9,
    ]
    # The one already holding 9 is verified, not written.
    assert sorted(setup.store.written) == [("variant-1", 9), ("variant-3", 9)]
    assert run.items_sent == 2
    assert setup.listing("variant-2").status == ListingStatus.IN_SYNC
    assert setup.listing("variant-2").last_synced_at is not None


def test_untracked_item_shows_inventory_enabled_no_and_is_untouched(setup):
    setup.product("SKU-A", 9)
    setup.item("untracked", "SKU-A", quantity=None, is_inventory_tracked=False)

    run = setup.upload()

    listing = setup.listing("untracked")
    assert listing.is_inventory_enabled is False
    assert listing.status == ListingStatus.NOT_TRACKED
    assert listing.last_synced_at is None
    assert listing.posted_quantity is None
    assert "Inventory Enabled is NO" in listing.reason
    assert setup.store.write_calls == 0
    assert setup.store.quantity_of("untracked") is None
    assert (run.items_sent, run.items_skipped) == (0, 1)


def test_unmatched_item_shows_never_and_is_untouched(setup):
    setup.item("stranger", "NOT-IN-WMS", quantity=4)

    setup.upload()

    listing = setup.listing("stranger")
    assert listing.status == ListingStatus.NO_MATCH
    assert listing.last_synced_at is None
    assert listing.product is None
    assert "No product matches SKU 'NOT-IN-WMS' by Master SKU" in listing.reason
    assert setup.store.write_calls == 0
    assert setup.store.quantity_of("stranger") == 4


def test_whitelist_syncs_only_the_listed_skus(setup):
    setup.cart.item_filter_mode = ItemFilterMode.WHITELIST
    setup.cart.save()
    ItemFilter.objects.create(cart=setup.cart, sku="LISTED")
    setup.product("LISTED", 3)
    setup.product("OTHER", 4)
    setup.item("listed", "LISTED")
    setup.item("other", "OTHER")

    setup.upload()

    assert setup.store.written == [("listed", 3)]
    other = setup.listing("other")
    assert other.status == ListingStatus.FILTERED
    assert "whitelist" in other.reason
    assert other.last_synced_at is None
    assert setup.store.quantity_of("other") == 0


def test_blacklist_syncs_every_sku_but_the_listed_ones(setup):
    setup.cart.item_filter_mode = ItemFilterMode.BLACKLIST
    setup.cart.save()
    ItemFilter.objects.create(cart=setup.cart, sku="LISTED")
    setup.product("LISTED", 3)
    setup.product("OTHER", 4)
    setup.item("listed", "LISTED")
    setup.item("other", "OTHER")

    setup.upload()

    assert setup.store.written == [("other", 4)]
    assert setup.listing("listed").status == ListingStatus.FILTERED
    assert "blacklist" in setup.listing("listed").reason
    assert setup.store.quantity_of("listed") == 0


def test_nothing_new_means_no_writes_but_last_cart_sync_date_advances(setup):
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=7)
    setup.item("item-b", "SKU-A", quantity=1)
    setup.upload()
    long_ago = timezone.now() - timedelta(days=3)
    CartListing.objects.filter(cart=setup.cart).update(last_synced_at=long_ago)
    setup.store.reset_counters()

    run = setup.upload()

    assert (setup.store.list_calls, setup.store.write_calls) == (0, 0)
    assert (run.records_read, run.items_sent, run.records_changed) == (0, 0, 0)
    assert run.state == RunState.SUCCEEDED
    for item_id in ("item-a", "item-b"):
        assert setup.listing(item_id).last_synced_at > long_ago


def test_new_warehouse_data_is_posted_without_reading_the_cart_again(setup):
    product = setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=7)
    setup.product("SKU-B", 2)
    setup.item("item-b", "SKU-B", quantity=2)
    setup.upload()
    setup.store.reset_counters()
    setup.stock(product, 3)

    run = setup.upload()

    assert setup.store.list_calls == 0
    assert setup.store.writes == [[("item-a", 3)]]
    assert (run.items_sent, run.records_changed, run.records_read) == (1, 1, 0)
    assert setup.listing("item-a").cart_quantity == 3


def test_hand_edited_cart_quantity_is_corrected_by_the_next_reconciliation(setup):
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.upload()
    setup.store.edit_quantity("item-a", 2)  # someone edits the cart by hand
    setup.store.reset_counters()

    between = setup.upload()
    assert (setup.store.list_calls, setup.store.write_calls) == (0, 0)
    assert between.items_sent == 0

    reconciled = setup.upload(reconcile=True)

    assert setup.store.list_calls == 1
    assert setup.store.writes == [[("item-a", 7)]]
    assert setup.store.quantity_of("item-a") == 7
    assert "Drift: 1 item(s) edited in the cart" in reconciled.log
    assert "SKU-A 7→2" in reconciled.log
    assert "1 edited in the cart and corrected" in reconciled.message
    assert (reconciled.records_read, reconciled.items_sent, reconciled.records_changed) == (1, 1, 1)
    assert setup.listing("item-a").cart_quantity == 7


def test_the_cart_is_re_read_when_the_reconciliation_interval_has_passed(setup):
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=7)
    setup.upload()
    setup.store.edit_quantity("item-a", 1)
    setup.cart.last_reconciled_at = timezone.now() - timedelta(
        minutes=setup.cart.reconcile_interval_minutes + 1
    )
    setup.cart.save()
    setup.store.reset_counters()

    run = setup.upload()

    assert setup.store.list_calls == 1
    assert setup.store.quantity_of("item-a") == 7
    assert run.records_read == 1


def test_a_requested_reconciliation_is_done_once(setup):
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=7)
    setup.upload()
    setup.cart.reconcile_requested = True
    setup.cart.save()
    setup.store.reset_counters()

    setup.upload()
    setup.upload()

    assert setup.store.list_calls == 1
    assert setup.cart.reconcile_requested is False


def test_running_twice_gives_the_same_end_state_and_no_writes_the_second_time(setup):
    setup.cart.minimum_inventory_level = 2
    setup.cart.save()
    setup.product("SKU-A", 7)
    setup.product("SKU-LOW", 1)
    setup.item("a-1", "SKU-A", quantity=3)
    setup.item("a-2", "SKU-A", quantity=7)
    setup.item("low", "SKU-LOW", quantity=5)
    setup.item("untracked", "SKU-A", quantity=None, is_inventory_tracked=False)
    setup.item("stranger", "NOPE", quantity=1)

    def end_state():
        listings = CartListing.objects.filter(cart=setup.cart).order_by("external_item_id")
        rows = list(
            listings.values_list(
                "external_item_id",
                "status",
                "reason",
                "cart_quantity",
                "posted_quantity",
                "product_id",
                "consecutive_failures",
            )
        )
        cart = {item_id: item.quantity for item_id, item in setup.store.items.items()}
        return rows, cart

    setup.upload()
    first = end_state()
    setup.store.reset_counters()

    again = setup.upload(reconcile=True)

    assert end_state() == first
    assert setup.store.write_calls == 0
    assert (again.items_sent, again.records_changed, again.items_skipped) == (0, 0, 2)
    assert first[1] == {"a-1": 7, "a-2": 7, "low": 0, "untracked": None, "stranger": 1}


def test_250_changes_with_batches_of_100_take_exactly_3_write_calls(setup):
    for number in range(250):
        setup.item(f"item-{number:03d}", f"SKU-{number:03d}", quantity=0)
    setup.item("in-sync", "SKU-SAME", quantity=5)
    setup.product("SKU-SAME", 5)
    products = Product.objects.bulk_create(
        Product(merchant=setup.merchant, sku=f"SKU-{number:03d}") for number in range(250)
    )
    InventoryLevel.objects.bulk_create(
        InventoryLevel(
            product=product,
            warehouse=setup.default_warehouse,
            quantity_on_hand=number + 1,
            quantity_available=number + 1,
            loaded_at=timezone.now(),
        )
        for number, product in enumerate(products)
    )

    run = setup.upload()

    assert setup.store.write_calls == 3
    assert setup.write_counts() == [100, 100, 50]
    assert ("in-sync", 5) not in setup.store.written
    assert setup.store.quantity_of("item-249") == 250
    assert (run.items_sent, run.records_changed, run.items_failed) == (250, 250, 0)


def test_nothing_differs_means_zero_write_calls_even_on_a_re_read(setup):
    setup.product("SKU-A", 4)
    setup.item("item-a", "SKU-A", quantity=4)

    run = setup.upload()

    assert setup.store.write_calls == 0
    assert setup.listing("item-a").status == ListingStatus.IN_SYNC
    assert setup.listing("item-a").posted_quantity is None
    assert run.items_sent == 0


def test_an_item_gone_from_the_cart_is_marked_removed_and_no_longer_synced(setup):
    product = setup.product("SKU-A", 4)
    setup.item("item-a", "SKU-A", quantity=4)
    setup.item("item-b", "SKU-A", quantity=4)
    setup.upload()
    setup.store.remove_item("item-b")
    setup.stock(product, 6)

    run = setup.upload(reconcile=True)

    assert setup.listing("item-b").status == ListingStatus.REMOVED
    assert setup.store.writes == [[("item-a", 6)]]
    assert "1 no longer in the cart" in run.log


def test_an_item_that_comes_back_is_synced_again(setup):
    setup.product("SKU-A", 4)
    setup.item("item-a", "SKU-A", quantity=4)
    setup.upload()
    setup.store.remove_item("item-a")
    setup.upload(reconcile=True)
    setup.item("item-a", "SKU-A", quantity=1)

    setup.upload(reconcile=True)

    assert setup.listing("item-a").status == ListingStatus.UPDATED
    assert setup.store.quantity_of("item-a") == 4


def test_changing_push_inventory_using_alias_rematches_without_re_reading(setup):
    product = setup.product("MASTER-1", 5)
    setup.alias(product, "UPC", "0001")
    setup.item("by-upc", "0001", quantity=0)
    setup.upload()
    assert setup.listing("by-upc").status == ListingStatus.NO_MATCH
    setup.cart.push_alias_name = "UPC"
    setup.cart.save()
    setup.store.reset_counters()

    setup.upload()

    assert setup.store.list_calls == 0
    assert setup.store.written == [("by-upc", 5)]
    assert setup.listing("by-upc").product == product


def test_a_listing_that_stops_matching_shows_never_again(setup):
    product = setup.product("SKU-A", 5)
    setup.item("item-a", "SKU-A", quantity=0)
    setup.upload()
    assert setup.listing("item-a").last_synced_at is not None
    product.delete()
    setup.store.reset_counters()

    setup.upload()

    listing = setup.listing("item-a")
    assert listing.status == ListingStatus.NO_MATCH
    assert listing.last_synced_at is None
    assert setup.store.write_calls == 0


def test_every_cart_of_the_merchant_receives_the_full_quantity(setup):
    second = make_upload_setup(merchant=setup.merchant)
    setup.product("SKU-A", 7)
    setup.item("item-a", "SKU-A", quantity=0)
    second.item("other-item", "SKU-A", quantity=0)

    setup.upload()
    second.upload()

    assert setup.store.quantity_of("item-a") == 7
    assert second.store.quantity_of("other-item") == 7


def test_products_of_another_merchant_never_match(setup):
    other = make_upload_setup()
    other.product("SKU-A", 50)
    setup.item("item-a", "SKU-A", quantity=1)

    setup.upload()

    assert setup.listing("item-a").status == ListingStatus.NO_MATCH
    assert setup.store.write_calls == 0


def _queries_for_an_upload_of(item_count: int) -> int:
    setup = make_upload_setup()
    setup.cart.connection_parameters = {**setup.cart.connection_parameters, "max_batch_size": 400}
    setup.cart.save()
    products = Product.objects.bulk_create(
        Product(merchant=setup.merchant, sku=f"SKU-{number:04d}") for number in range(item_count)
    )
    InventoryLevel.objects.bulk_create(
        InventoryLevel(
            product=product,
            warehouse=setup.default_warehouse,
            quantity_available=3,
            loaded_at=timezone.now(),
        )
        for product in products
    )
    for number in range(item_count):
        setup.item(f"item-{number:04d}", f"SKU-{number:04d}", quantity=number % 2 * 3)
    setup.item("stranger", "NOPE")
    with CaptureQueriesContext(connection) as first:
        setup.upload()
    with CaptureQueriesContext(connection) as second:
        setup.upload(reconcile=True)
    assert setup.store.quantity_of(f"item-{item_count - 1:04d}") == 3
    return len(first) + len(second)


def test_listing_reads_and_writes_are_set_based_so_queries_do_not_grow_per_listing(db):
    small, large = _queries_for_an_upload_of(10), _queries_for_an_upload_of(300)

    # 290 more listings read, upserted, matched and written: only the database's own limit on
    # parameters per statement (about a hundred rows on SQLite) adds statements.
    assert large - small <= 290 // 20


def test_a_batchs_results_are_one_update_from_values_and_verified_listings_one_update_by_ids(db):
    setup = make_upload_setup()
    setup.cart.connection_parameters = {**setup.cart.connection_parameters, "max_batch_size": 400}
    setup.cart.save()
    products = Product.objects.bulk_create(
        Product(merchant=setup.merchant, sku=f"SKU-{number:03d}") for number in range(100)
    )
    InventoryLevel.objects.bulk_create(
        InventoryLevel(
            product=product,
            warehouse=setup.default_warehouse,
            quantity_available=3,
            loaded_at=timezone.now(),
        )
        for product in products
    )
    for number in range(100):
        setup.item(f"item-{number:03d}", f"SKU-{number:03d}", quantity=3)
    setup.upload()
    synced_before = setup.listing("item-001").last_synced_at
    InventoryLevel.objects.filter(product__in=products[::10]).update(quantity_available=8)

    with CaptureQueriesContext(connection) as captured:
        run = setup.upload()

    listing_table = CartListing._meta.db_table
    updates = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(("UPDATE", "WITH"))
        and listing_table in query["sql"]
    ]
    # 10 results (8 values each, within SQLite's parameter limit) in one statement; the 90
    # verified listings' Last Cart Sync Date in another; no per-row CASE WHEN.
    assert len(updates) == 2
    assert sum("FROM v" in sql for sql in updates) == 1
    assert not any("CASE WHEN" in sql for sql in updates)
    assert run.items_sent == 10
    assert setup.write_counts() == [10]
    changed = setup.listing("item-000")
    assert (changed.cart_quantity, changed.posted_quantity) == (8, 8)
    assert changed.status == ListingStatus.UPDATED
    unchanged = setup.listing("item-001")
    # The cart held 3 from the start: nothing was ever posted to it.
    assert (unchanged.cart_quantity, unchanged.posted_quantity) == (3, None)
    assert unchanged.status == ListingStatus.IN_SYNC
    assert unchanged.last_synced_at > synced_before
