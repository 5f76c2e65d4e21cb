"""End to end against a real Vendure 3.7.3 server: a real download from the Extensiv 3PL emulator
and a real upload through a Celery worker, read back through Vendure's Admin API; then a real
order through Vendure's Shop API allocates stock, and the next sync leaves Vendure's saleable
quantity equal to our Quantity Available (REAL_CARTS.md §2.5-2.6).

Vendure is seeded through its Admin API with SKUs of a prefix of this run, so the test can run
again on the same server. Skipped when Node.js is missing or no Vendure server is running.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from carts.models import Cart, CartListing, ListingStatus, UploadMode
from merchants.models import InventorySyncMode, Merchant
from merchants.services import connection_secrets_update
from sync.models import RunKind, RunState, SyncRun
from tests.connectors.cart_setup import FAST_RETRIES
from tests.emulators.extensiv_3pl import Extensiv3plApp, Item, Login
from tests.emulators.server import EmulatorServer
from tests.factories import CartFactory, MerchantFactory
from tests.vendure.vendure_api import VendureShopper

pytestmark = [pytest.mark.vendure, pytest.mark.e2e]

CLIENT_ID, CLIENT_SECRET, CUSTOMER, FACILITY = "vendure-e2e", "vendure-e2e-secret", 5, 1
SYNC_SECONDS = 180.0


@pytest.fixture
def wms():
    app = Extensiv3plApp()
    app.add_login(Login(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, user_login_id="1001"))
    app.add_customer(CUSTOMER, "Vendure Outfitters")
    app.add_facility(FACILITY, "East Coast DC")
    with EmulatorServer(app) as server:
        app.url = server.url
        yield app


def test_vendure_saleable_follows_quantity_available_through_download_upload_and_an_order(
    celery_stack, wms, vendure_admin, vendure_server_url, sku_prefix
):
    timings: dict[str, float] = {}
    sku = {name: f"{sku_prefix}-{name}" for name in ("TEE-S", "TEE-M", "MUG", "CAP", "NOT-IN-WMS")}

    # Given a Vendure shop with a stock location of its own for this cart, where
    admin = vendure_admin
    location = admin.create_stock_location(f"{sku_prefix} Sync DC")
    tee = admin.create_product(f"{sku_prefix} Tee", f"{sku_prefix.lower()}-tee")
    small, medium = admin.add_option_group(tee, f"{sku_prefix.lower()}-size", ["s", "m"])
    # a tee S with 5 units already in the Default Stock Location (Vendure sells the sum),
    tee_s = admin.create_variant(tee, sku["TEE-S"], option_ids=[small], stock={"1": 5})
    # a tee M that keeps 2 back (out-of-stock threshold 2),
    tee_m = admin.create_variant(tee, sku["TEE-M"], option_ids=[medium], threshold=2)
    # a mug tracked by the global setting, and a second product using the same SKU,
    mug = admin.create_variant(
        admin.create_product(f"{sku_prefix} Mug", f"{sku_prefix.lower()}-mug"),
        sku["MUG"],
        track_inventory="INHERIT",
    )
    mug_twin = admin.create_variant(
        admin.create_product(f"{sku_prefix} Mug twin", f"{sku_prefix.lower()}-mug-twin"),
        sku["MUG"],
    )
    # a cap whose inventory Vendure does not track,
    cap = admin.create_variant(
        admin.create_product(f"{sku_prefix} Cap", f"{sku_prefix.lower()}-cap"),
        sku["CAP"],
        track_inventory="FALSE",
    )
    # and a sample the warehouse system does not know, holding 4;
    sample = admin.create_variant(
        admin.create_product(f"{sku_prefix} Sample", f"{sku_prefix.lower()}-sample"),
        sku["NOT-IN-WMS"],
        stock={location: 4},
    )
    api_key = admin.create_api_key(f"{sku_prefix.lower()}-inventory-sync")

    # a 3PL reporting Quantity Available 7 / 12 / 9 / 30 for them,
    for item_id, (name, available) in enumerate(
        (("TEE-S", 7), ("TEE-M", 12), ("MUG", 9), ("CAP", 30)), start=1
    ):
        wms.add_item(Item(item_id=item_id, customer_id=CUSTOMER, sku=sku[name]))
        wms.set_stock(item_id, FACILITY, on_hand=available)
    # a merchant downloading from it on a schedule and the Vendure cart on Automatic, writing to
    # its own stock location (whose periodic re-read is not due: only the download uploads).
    merchant = MerchantFactory(
        connector_key="extensiv_3pl",
        connection_parameters={
            "base_url": wms.url,
            "user_login_id": "1001",
            "customer_id": str(CUSTOMER),
            **FAST_RETRIES,
        },
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        inventory_interval_minutes=60,
    )
    connection_secrets_update(
        connection=merchant, secrets={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    cart = CartFactory(
        merchant=merchant,
        connector_key="vendure",
        connection_parameters={
            "base_url": vendure_server_url,
            "stock_location": f"{sku_prefix} Sync DC",
            **FAST_RETRIES,
            "read_timeout": 60,
        },
        upload_mode=UploadMode.AUTOMATIC,
    )
    connection_secrets_update(connection=cart, secrets={"api_key": api_key})
    Cart.objects.filter(pk=cart.pk).update(
        next_upload_at=timezone.now() + timedelta(minutes=cart.reconcile_interval_minutes - 1)
    )

    def saleable(variant_id: str) -> int:
        stock = admin.variant_stock(variant_id)
        threshold = 2 if variant_id == tee_m else 0
        return (
            sum(level.on_hand for level in stock.levels)
            - sum(level.allocated for level in stock.levels)
            - threshold
        )

    def finished_uploads() -> list[tuple[str, int]]:
        return list(
            SyncRun.objects.filter(cart=cart, kind=RunKind.UPLOAD, finished_at__isnull=False)
            .order_by("id")
            .values_list("state", "items_sent")
        )

    # When beat and the worker download and upload,
    started = time.monotonic()
    celery_stack.wait_for(
        "the first upload to Vendure to finish", finished_uploads, timeout=SYNC_SECONDS
    )
    timings["first sync"] = time.monotonic() - started

    # then Vendure sells exactly the Quantity Available of each tracked variant,
    assert finished_uploads() == [(RunState.SUCCEEDED, 4)]
    assert {name: saleable(variant) for name, variant in (("TEE-S", tee_s), ("TEE-M", tee_m))} == {
        "TEE-S": 7,
        "TEE-M": 12,
    }
    # written at the cart's location only: S = 7 - the 5 held elsewhere, M = 12 + threshold 2,
    assert admin.variant_stock(tee_s).level_at(location) == (2, 0)
    assert admin.variant_stock(tee_s).level_at("1") == (5, 0)
    assert admin.variant_stock(tee_m).level_at(location) == (14, 0)
    # both variants sharing the mug's SKU get the same number,
    assert admin.variant_stock(mug).level_at(location) == (9, 0)
    assert admin.variant_stock(mug_twin).level_at(location) == (9, 0)
    # and the untracked cap and the unknown sample are not written.
    assert admin.variant_stock(cap).level_at(location) == (0, 0)
    assert admin.variant_stock(sample).level_at(location) == (4, 0)
    listings = {
        listing.external_item_id: listing
        for listing in CartListing.objects.filter(cart=cart, sku__startswith=sku_prefix)
    }
    assert {
        external_id: (
            listing.sku,
            listing.is_inventory_enabled,
            listing.cart_quantity,
            listing.posted_quantity,
            listing.status,
        )
        for external_id, listing in listings.items()
    } == {
        tee_s: (sku["TEE-S"], True, 7, 7, ListingStatus.UPDATED),
        tee_m: (sku["TEE-M"], True, 12, 12, ListingStatus.UPDATED),
        mug: (sku["MUG"], True, 9, 9, ListingStatus.UPDATED),
        mug_twin: (sku["MUG"], True, 9, 9, ListingStatus.UPDATED),
        cap: (sku["CAP"], False, None, None, ListingStatus.NOT_TRACKED),
        sample: (sku["NOT-IN-WMS"], True, 4, None, ListingStatus.NO_MATCH),
    }

    # When a shopper orders 3 tee M through the Shop API (payment authorised: Vendure allocates),
    VendureShopper(vendure_server_url).place_order(tee_m, 3)
    assert admin.variant_stock(tee_m).level_at(location) == (14, 3)
    assert saleable(tee_m) == 9
    # and the warehouse has loaded that order and received 8 more (on hand 20, allocated 3:
    # Quantity Available 17), and the next scheduled download comes round,
    wms.set_stock(2, FACILITY, on_hand=20, allocated=3)
    Merchant.objects.filter(pk=merchant.pk).update(next_download_at=timezone.now())
    started = time.monotonic()
    celery_stack.wait_for(
        "the second upload to Vendure to finish",
        lambda: len(finished_uploads()) == 2,
        timeout=SYNC_SECONDS,
    )
    timings["next sync"] = time.monotonic() - started

    # then Vendure's saleable quantity is our Quantity Available, 17, not 17 - 3 for the order
    # counted twice: on hand = 17 + 3 allocated + threshold 2.
    assert finished_uploads() == [(RunState.SUCCEEDED, 4), (RunState.SUCCEEDED, 1)]
    assert admin.variant_stock(tee_m).level_at(location) == (22, 3)
    assert saleable(tee_m) == 17
    listing = CartListing.objects.get(cart=cart, external_item_id=tee_m)
    assert (listing.cart_quantity, listing.posted_quantity) == (17, 17)
    # Vendure's own check agrees: a shopper can put at most 17 in a cart.
    refused = VendureShopper(vendure_server_url).add_to_cart(tee_m, 50)
    assert (refused["__typename"], refused["quantityAvailable"]) == ("InsufficientStockError", 17)
    # Nothing else was written on the second sync.
    assert admin.variant_stock(tee_s).level_at(location) == (2, 0)
    assert admin.variant_stock(mug).level_at(location) == (9, 0)
    print(", ".join(f"{name}: {seconds:.1f} s" for name, seconds in timings.items()))
