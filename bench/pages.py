# ruff: noqa: E402, S608 - Django is set up before the imports; SQL interpolates table names only.
"""Page benchmark of the list and search pages, run by hand against PostgreSQL.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1/im_bench_pages \
        .venv/bin/python bench/pages.py

It migrates the database (created if missing), loads one merchant with 1M inventory levels
(250k products x 4 warehouses, each product with a UPC alias) and one cart with 1M listings
(SQL `INSERT ... SELECT generate_series`, in a few seconds; `--keep` reuses a loaded database),
then requests every list and search page through Django's test client as a support agent:
middleware, views, queries and templates, as a browser would get them (minus the network).
Each page is requested `--repeat` times after one warm-up; the median and the worst are
printed. Goal: every median <= 100 ms. The last line is exactly `worst_median_ms=<x>`.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")


def _database_create() -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg2

    url = urlparse(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql"):
        sys.exit("bench/pages.py runs on PostgreSQL: set DATABASE_URL=postgres://...")
    name = url.path.lstrip("/")
    admin = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


_database_create()

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection, reset_queries
from django.test import Client
from django.urls import reverse

from carts.models import Cart, CartListing
from merchants.models import InventorySyncMode, Merchant, User
from merchants.services import merchant_create, merchant_delete
from sync.models import Alert, SyncRun
from warehouses.models import Alias, InventoryLevel, InventoryLevelChange, Product, Warehouse

MERCHANT = "Bench Pages Outfitters"
PRODUCTS = 250_000
WAREHOUSES = 4
LISTINGS = 1_000_000
RUNS = 20_000
GOAL_MS = 100.0


def _load() -> Merchant:
    old = Merchant.objects.filter(name=MERCHANT).first()
    if old is not None:
        merchant_delete(merchant=old)
    merchant = merchant_create(
        name=MERCHANT,
        inventory_sync_mode=InventorySyncMode.SCHEDULED,
        connector_key="memory",
        connection_parameters={"store": "bench"},
    )
    for number in range(1, WAREHOUSES):
        Warehouse.objects.create(
            merchant=merchant, external_code=f"WH{number}", name=f"Warehouse {number}"
        )
    # As a download leaves them: every warehouse loaded.
    merchant.warehouses.update(last_loaded_at=merchant.created_at)
    cart = Cart.objects.create(merchant=merchant, name="Bench Shopify", upload_mode="scheduled")
    m = merchant.pk
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {Product._meta.db_table}
                (created_at, updated_at, merchant_id, sku, name, last_reported_at)
            SELECT now(), now(), {m}, 'SKU-' || lpad(g::text, 7, '0'), 'Product ' || g, now()
            FROM generate_series(1, {PRODUCTS}) g"""
        )
        cursor.execute(
            f"""INSERT INTO {Alias._meta.db_table}
                (merchant_id, product_id, name, value, created_at)
            SELECT {m}, id, 'UPC', '0' || lpad(substr(sku, 5), 12, '0'), now()
            FROM {Product._meta.db_table} WHERE merchant_id = {m}"""
        )
        cursor.execute(
            f"""INSERT INTO {InventoryLevel._meta.db_table}
                (product_id, warehouse_id, quantity_on_hand, quantity_available, loaded_at,
                 wms_updated_at)
            SELECT p.id, w.id, (p.id * 7 + w.id) % 500, (p.id * 7 + w.id) % 400, now(), now()
            FROM {Product._meta.db_table} p
            JOIN {Warehouse._meta.db_table} w ON w.merchant_id = p.merchant_id
            WHERE p.merchant_id = {m}"""
        )
        cursor.execute(
            f"""INSERT INTO {CartListing._meta.db_table}
                (cart_id, external_item_id, external_parent_id, sku, title, is_inventory_enabled,
                 cart_quantity, posted_quantity, product_id, status, reason, last_synced_at,
                 consecutive_failures, last_seen_at)
            SELECT {cart.pk}, 'item-' || g, '', 'SKU-' || lpad(g::text, 7, '0'), 'Item ' || g,
                g % 50 <> 0, g % 300, g % 300, NULL,
                CASE WHEN g > {PRODUCTS} THEN 'no_match' WHEN g % 50 = 0 THEN 'not_tracked'
                     ELSE 'in_sync' END,
                '', CASE WHEN g > {PRODUCTS} THEN NULL ELSE now() END, 0, now()
            FROM generate_series(1, {LISTINGS}) g"""
        )
        cursor.execute(
            f"""UPDATE {CartListing._meta.db_table} l SET product_id = p.id
            FROM {Product._meta.db_table} p
            WHERE l.cart_id = {cart.pk} AND p.merchant_id = {m} AND p.sku = l.sku"""
        )
        cursor.execute(
            f"""INSERT INTO {SyncRun._meta.db_table}
                (kind, merchant_id, cart_id, trigger, state, created_at, started_at, finished_at,
                 records_read, records_changed, items_sent, items_skipped, items_failed,
                 message, log, task_id)
            SELECT CASE WHEN g % 2 = 0 THEN 'download' ELSE 'upload' END, {m},
                CASE WHEN g % 2 = 0 THEN NULL ELSE {cart.pk} END, 'schedule',
                CASE WHEN g % 17 = 0 THEN 'failed' ELSE 'succeeded' END,
                now() - g * interval '1 minute', now() - g * interval '1 minute',
                now() - g * interval '1 minute' + interval '5 seconds', 1000, 10, 10, 0, 0,
                '', '', ''
            FROM generate_series(1, {RUNS}) g"""
        )
        cursor.execute(
            f"""INSERT INTO {InventoryLevelChange._meta.db_table}
                (product_id, warehouse_id, quantity_on_hand, quantity_available, recorded_at)
            SELECT p.id, w.id, g % 40, g % 40, now() - g * interval '1 hour'
            FROM {Product._meta.db_table} p, {Warehouse._meta.db_table} w,
                generate_series(1, 100) g
            WHERE p.merchant_id = {m} AND p.sku = 'SKU-0000042' AND w.merchant_id = {m}"""
        )
        for table in (
            Product._meta.db_table,
            Alias._meta.db_table,
            InventoryLevel._meta.db_table,
            CartListing._meta.db_table,
            SyncRun._meta.db_table,
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    for number in range(50):
        Alert.objects.create(
            merchant=merchant,
            key=f"bench-{number}",
            title=f"Bench alert {number}",
            first_seen_at=merchant.created_at,
            last_seen_at=merchant.created_at,
        )
    print(f"loaded in {time.perf_counter() - started:.1f} s", flush=True)
    return merchant


def _pages(merchant: Merchant) -> list[tuple[str, str]]:
    m = merchant.pk
    default = merchant.warehouses.get(is_default=True)
    cart = merchant.carts.get()
    product = Product.objects.get(merchant=merchant, sku="SKU-0000042")
    levels = reverse("warehouses:warehouse", kwargs={"merchant_pk": m, "pk": default.pk})
    products = reverse("warehouses:products", kwargs={"merchant_pk": m})
    sync = reverse("carts:product_sync", kwargs={"pk": cart.pk})
    return [
        ("merchants list", reverse("merchants:list")),
        ("merchant page", reverse("merchants:detail", kwargs={"pk": m})),
        ("locations", reverse("warehouses:locations", kwargs={"merchant_pk": m})),
        ("warehouse levels p1", levels),
        ("warehouse levels p50", f"{levels}?page=50"),
        ("levels search SKU", f"{levels}?q=SKU-0123456"),
        ("levels search alias", f"{levels}?q=0000000123456"),
        ("levels search prefix", f"{levels}?q=SKU-01234"),
        ("levels search none", f"{levels}?q=NOPE-1"),
        ("add/view products p1", products),
        ("products search SKU", f"{products}?q=SKU-0200000"),
        ("products search prefix", f"{products}?q=SKU-02000"),
        (
            "product page",
            reverse("warehouses:product", kwargs={"merchant_pk": m, "pk": product.pk}),
        ),
        ("carts list", reverse("carts:list")),
        ("cart page", reverse("carts:detail", kwargs={"pk": cart.pk})),
        ("view product sync p1", sync),
        ("view product sync p50", f"{sync}?page=50"),
        ("sync search SKU", f"{sync}?q=SKU-0765432"),
        ("sync search prefix", f"{sync}?q=SKU-07654"),
        ("sync filter status", f"{sync}?status=not_tracked"),
        ("sync search+status", f"{sync}?q=SKU-00123&status=in_sync"),
        ("discrepancy report", reverse("carts:discrepancies", kwargs={"pk": cart.pk})),
        ("sync runs", reverse("sync:runs")),
        ("sync runs filtered", reverse("sync:runs") + f"?kind=download&state=failed&merchant={m}"),
        ("alerts", reverse("sync:alerts")),
        (
            "troubleshooter",
            reverse("sync:troubleshooter") + f"?merchant={m}&cart={cart.pk}&sku=SKU-0000042",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="reuse the data of a previous run")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/pages.py runs on PostgreSQL")
    if not settings.DEBUG:
        sys.exit("run it with DEBUG=1: the SQL time per page comes from Django's query log")
    call_command("migrate", verbosity=0)
    merchant = Merchant.objects.filter(name=MERCHANT).first()
    if merchant is None or not args.keep:
        merchant = _load()
    agent, _ = User.objects.get_or_create(
        username="bench-agent", defaults={"is_support_agent": True}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(agent)
    print(
        f"{InventoryLevel.objects.filter(product__merchant=merchant).count():,} levels, "
        f"{CartListing.objects.filter(cart__merchant=merchant).count():,} listings; "
        f"{args.repeat} requests per page after one warm-up"
    )
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'page':<26} {'median ms':>10} {'max ms':>8} {'queries':>8} {'sql ms':>7}  status")
    medians = []
    for name, url in _pages(merchant):
        assert client.get(url).status_code == 200, url
        times, sql_times = [], []
        for _ in range(args.repeat):
            reset_queries()
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
            sql_times.append(sum(float(query["time"]) for query in connection.queries) * 1000)
        median = statistics.median(times)
        medians.append(median)
        flag = "ok" if median <= GOAL_MS else "OVER GOAL"
        print(
            f"{name:<26} {median:>10.1f} {max(times):>8.1f} {len(connection.queries):>8} "
            f"{statistics.median(sql_times):>7.1f}  {flag}",
            flush=True,
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"worst_median_ms={max(medians):.1f}")


if __name__ == "__main__":
    main()
