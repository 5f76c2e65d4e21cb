# ruff: noqa: E402, S608 - Django is set up before the imports; SQL interpolates table names only.
"""Upload benchmark of the cart connectors, run by hand.

    createdb im_bench_upload
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1/im_bench_upload \\
        .venv/bin/python bench/upload.py

For each of Shopify and WooCommerce it serves the platform's emulator (tests/emulators/) on
loopback with 100k items and gives a merchant the same 100k SKUs in stock. Set-up (not
measured): the cart's listings as a finished first upload leaves them (in sync, matched, the
cart's quantity known), written in SQL by default (`--setup read` instead lets the real upload read
the whole cart, which takes far longer). Then 10 % of the SKUs change in the warehouse and the
real `cart_inventory_upload` is measured: write calls made and seconds taken, next to, computed in
the same run,

- the minimum write calls: ceil(changed / the platform's batch maximum) (250 quantities per
  `inventorySetQuantities`, 100 objects per WooCommerce batch);
- the budget-bound seconds (Shopify): the least time the cost budget allows for those writes,
  max(0, (writes x the cost charged per write - the bucket) / the restore rate), with a
  Plus-like budget (1000 points/s restored, a 20,000-point bucket [INFER: bucket = 20 x the
  restore rate, PLATFORM_APIS.md §1.6]) and the cost the emulator charges per mutation.

Its last line is exactly
`shopify_writes=<n> shopify_min_writes=<m> shopify_s=<s> shopify_budget_s=<b> woo_writes=<n>
woo_min_writes=<m>` (one line).
"""

import argparse
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from carts.connectors import cart_connector_for
from carts.connectors.base import CartConnector
from carts.connectors.shopify import MAX_QUANTITIES_PER_CALL
from carts.connectors.woocommerce import MAX_BATCH
from carts.models import Cart, CartListing, ListingStatus
from merchants.models import Merchant
from merchants.services import connection_secrets_update, merchant_create, merchant_delete
from sync.models import RunState, RunTrigger, SyncRun
from sync.services.upload import cart_inventory_upload
from tests.emulators.server import EmulatorServer
from tests.emulators.shopify import ACCESS_TOKEN, ShopifyEmulator
from tests.emulators.woocommerce import CONSUMER_KEY, CONSUMER_SECRET, WooCommerceEmulator
from warehouses.models import InventoryLevel, Product

PLUS_RESTORE_RATE = 1000.0
PLUS_BUCKET = 20 * PLUS_RESTORE_RATE
START_QUANTITY = 10


def _stock(merchant: Merchant, skus: list[str]) -> list[int]:
    """The merchant's products, START_QUANTITY available in the Default warehouse."""
    now = timezone.now()
    warehouse = merchant.warehouses.get(is_default=True)
    product_ids = []
    for start in range(0, len(skus), 10_000):
        products = Product.objects.bulk_create(
            [Product(merchant=merchant, sku=sku) for sku in skus[start : start + 10_000]]
        )
        InventoryLevel.objects.bulk_create(
            [
                InventoryLevel(
                    product=product,
                    warehouse=warehouse,
                    quantity_on_hand=START_QUANTITY,
                    quantity_available=START_QUANTITY,
                    loaded_at=now,
                )
                for product in products
            ]
        )
        product_ids.extend(product.pk for product in products)
    return product_ids


def _change(product_ids: list[int], share: float) -> int:
    """Change the Quantity Available of every (1/share)-th product; returns how many."""
    step = round(1 / share)
    changed = product_ids[::step]
    for start in range(0, len(changed), 10_000):
        InventoryLevel.objects.filter(product_id__in=changed[start : start + 10_000]).update(
            quantity_on_hand=START_QUANTITY + 1,
            quantity_available=START_QUANTITY + 1,
            loaded_at=timezone.now(),
        )
    return len(changed)


def _prime(cart: Cart, items: list[tuple[str, str, str]], product_ids: list[int]) -> None:
    """The listings a finished first upload leaves: (external id, parent id, SKU) per item, in
    the order of `product_ids`, in sync at START_QUANTITY."""
    now = timezone.now()
    for start in range(0, len(items), 10_000):
        CartListing.objects.bulk_create(
            [
                CartListing(
                    cart=cart,
                    external_item_id=external_item_id,
                    external_parent_id=parent_id,
                    sku=sku,
                    is_inventory_enabled=True,
                    cart_quantity=START_QUANTITY,
                    posted_quantity=START_QUANTITY,
                    product_id=product_id,
                    status=ListingStatus.IN_SYNC,
                    last_synced_at=now,
                    last_seen_at=now,
                )
                for (external_item_id, parent_id, sku), product_id in zip(
                    items[start : start + 10_000],
                    product_ids[start : start + 10_000],
                    strict=True,
                )
            ]
        )
    Cart.objects.filter(pk=cart.pk).update(last_reconciled_at=now)


def _set_up(cart: Cart, setup: str, items: list, product_ids: list[int]) -> None:
    started = time.perf_counter()
    if setup == "read":
        _upload(cart, "set-up: the first upload reads the whole cart (not measured)")
    else:
        _prime(cart, items, product_ids)
        print(f"  set-up: listings written in SQL ({time.perf_counter() - started:.1f} s)")


def _timed(connector: CartConnector) -> CartConnector:
    """The cart's own connector, also adding up the seconds spent in its write calls (HTTP and
    the emulator's work), to tell them apart from the upload service's own."""

    class Timed(type(connector)):
        def set_quantities(self, updates, **options):
            started = time.perf_counter()
            try:
                return super().set_quantities(updates, **options)
            finally:
                self.write_seconds += time.perf_counter() - started

    connector.__class__ = Timed
    connector.write_seconds = 0.0
    return connector


def _upload(cart: Cart, label: str) -> tuple[SyncRun, float]:
    connector = _timed(cart_connector_for(cart))
    started = time.perf_counter()
    run = cart_inventory_upload(cart=cart, trigger=RunTrigger.MANUAL, connector=connector)
    elapsed = time.perf_counter() - started
    print(
        f"  {label}: {elapsed:.1f} s ({connector.write_seconds:.2f} s in the connector's write"
        f" calls), {run.state}: {run.message}",
        flush=True,
    )
    if run.state != RunState.SUCCEEDED:
        print(run.log, flush=True)
        raise SystemExit(f"{label} did not succeed")
    return run, elapsed


def _cart(merchant: Merchant, name: str, key: str, parameters: dict, secrets: dict) -> Cart:
    cart = Cart.objects.create(
        merchant=merchant, name=name, connector_key=key, connection_parameters=parameters
    )
    connection_secrets_update(connection=cart, secrets=secrets)
    return cart


def _shopify(
    merchant: Merchant, items: int, share: float, setup: str
) -> tuple[int, int, float, float]:
    # The set-up read runs on a large budget; the measured upload on a Plus-like one.
    app = ShopifyEmulator(maximum_available=1_000_000, restore_rate=1_000_000)
    variants = app.seed(items, quantity=START_QUANTITY, prefix="SHOP")
    product_ids = _stock(merchant, [variant.sku for variant in variants])
    with EmulatorServer(app) as server:
        cart = _cart(
            merchant,
            "bench-shopify",
            "shopify",
            {"base_url": server.url, "location_id": app.default_location},
            {"access_token": ACCESS_TOKEN},
        )
        print(f"Shopify: {items} variants", flush=True)
        _set_up(
            cart,
            setup,
            [(v.inventory_item_id, v.variant_id, v.sku) for v in variants],
            product_ids,
        )
        changed = _change(product_ids, share)
        with app.lock:
            app.maximum_available = app.currently_available = PLUS_BUCKET
            app.restore_rate = PLUS_RESTORE_RATE
        app.reset_calls()
        run, seconds = _upload(cart, f"upload of {changed} changed (measured)")
        writes = app.count("write")
        reads = app.count("read")
    min_writes = math.ceil(changed / MAX_QUANTITIES_PER_CALL)
    points = min_writes * app.mutation_cost
    budget_seconds = max(0.0, (points - PLUS_BUCKET) / PLUS_RESTORE_RATE)
    print(
        f"  Shopify: {writes} writes (+{reads} reads) for {changed} changed, minimum {min_writes};"
        f" {seconds:.1f} s, budget-bound {budget_seconds:.1f} s ({points} points at"
        f" {PLUS_RESTORE_RATE:.0f}/s from a {PLUS_BUCKET:.0f}-point bucket); throttled"
        f" {app.throttled}; {run.items_sent} sent",
        flush=True,
    )
    return writes, min_writes, seconds, budget_seconds


def _woocommerce(
    merchant: Merchant, items: int, share: float, setup: str
) -> tuple[int, int, float]:
    app = WooCommerceEmulator()
    products = app.seed(items, quantity=START_QUANTITY, prefix="WOO")
    product_ids = _stock(merchant, [product.sku for product in products])
    with EmulatorServer(app) as server:
        cart = _cart(
            merchant,
            "bench-woocommerce",
            "woocommerce",
            {"store_url": server.url},
            {"consumer_key": CONSUMER_KEY, "consumer_secret": CONSUMER_SECRET},
        )
        print(f"WooCommerce: {items} products", flush=True)
        _set_up(cart, setup, [(str(p.id), "", p.sku) for p in products], product_ids)
        changed = _change(product_ids, share)
        app.reset_calls()
        run, seconds = _upload(cart, f"upload of {changed} changed (measured)")
        writes = app.count("write")
        reads = app.count("read")
    min_writes = math.ceil(changed / MAX_BATCH)
    print(
        f"  WooCommerce: {writes} writes (+{reads} reads) for {changed} changed, minimum"
        f" {min_writes}; {seconds:.1f} s; {run.items_sent} sent",
        flush=True,
    )
    return writes, min_writes, seconds


def _bench_data_delete(merchant: Merchant) -> None:
    """Delete in SQL first: the ORM's cascade would load every row."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CartListing._meta.db_table} WHERE cart_id IN"
            f" (SELECT id FROM {Cart._meta.db_table} WHERE merchant_id = %s)",
            [merchant.pk],
        )
        cursor.execute(
            f"DELETE FROM {InventoryLevel._meta.db_table} WHERE product_id IN"
            f" (SELECT id FROM {Product._meta.db_table} WHERE merchant_id = %s)",
            [merchant.pk],
        )
        cursor.execute(
            f"DELETE FROM {Product._meta.db_table} WHERE merchant_id = %s", [merchant.pk]
        )
    merchant_delete(merchant=merchant)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--changed-share", type=float, default=0.10)
    parser.add_argument("--keep", action="store_true", help="Keep the bench merchant.")
    parser.add_argument(
        "--setup",
        choices=["sql", "read"],
        default="sql",
        help="How the listings of the first upload are made (not measured).",
    )
    options = parser.parse_args()
    # DEBUG would keep every query in memory; the bench measures production behaviour.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    merchant = merchant_create(name=f"bench-upload-{datetime.now(UTC):%Y%m%d%H%M%S}")
    print(
        f"{options.items} items per cart, {options.changed_share:.0%} changed; "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {connection.vendor}, "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    try:
        shopify = _shopify(merchant, options.items, options.changed_share, options.setup)
        woo = _woocommerce(merchant, options.items, options.changed_share, options.setup)
    finally:
        if not options.keep:
            _bench_data_delete(merchant)
    shopify_writes, shopify_min_writes, shopify_seconds, shopify_budget_seconds = shopify
    woo_writes, woo_min_writes, _ = woo
    print(
        f"shopify_writes={shopify_writes} shopify_min_writes={shopify_min_writes} "
        f"shopify_s={shopify_seconds:.1f} shopify_budget_s={shopify_budget_seconds:.1f} "
        f"woo_writes={woo_writes} woo_min_writes={woo_min_writes}"
    )


if __name__ == "__main__":
    main()
