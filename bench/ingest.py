# ruff: noqa: E402, S608 - Django is set up before the imports; SQL interpolates table names only.
"""Ingest benchmark of the inventory download, run by hand against PostgreSQL.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1/im_bench .venv/bin/python bench/ingest.py

It migrates the database, then measures, for 1M inventory levels (250k products x 4 warehouses
by default), the real download (`inventory_download` with a generated connector streaming frozen
`StockRecord`s: validation, staging, duplicate/alias/suspicious checks, products, levels,
history rows, flags, the run) next to the FLOOR measured in the same run: `COPY` of the same
records, pre-rendered to a file before the clock starts, into a staging table, plus the one bare
`INSERT … ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM` statement (no history, no
products, no checks, no Python objects; the floor's products and warehouses exist beforehand).

Two phases: a first load into empty tables, and a reload where 1 % of the records changed. Each
reports rows/s for both and the ratio engine/floor, then the process's peak RSS. The last line is
exactly `first_ratio=<x> steady_ratio=<y> peak_rss_mb=<z>`. Goal: both ratios >= 0.7, peak RSS
<= 300 MB.
"""

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "integration_manager.settings")

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection

from merchants.models import Merchant
from merchants.services import merchant_create, merchant_delete
from sync.models import RunState, RunTrigger
from sync.services.download import inventory_download
from warehouses.connectors.base import (
    StockRecord,
    WarehouseConnector,
    WarehouseInfo,
)
from warehouses.models import Alias, InventoryLevel, InventoryLevelChange, Product, Warehouse

WMS_TIME = datetime(2026, 3, 1, tzinfo=UTC)
LEVEL = InventoryLevel._meta.db_table
PRODUCT = Product._meta.db_table


def _quantities(product: int, warehouse: int, version: int) -> tuple[int, int]:
    """(on hand, allocated) of one record; in version 1, one record in 100 changed."""
    on_hand = (product * 7 + warehouse * 13) % 500
    allocated = (product + warehouse) % 5
    if version and (product * 4 + warehouse) % 100 == 0:
        on_hand += 1
    return on_hand, allocated


def _records(products: int, warehouses: int, version: int) -> Iterator[tuple]:
    for product in range(products):
        sku = f"SKU-{product:07d}"
        for warehouse in range(warehouses):
            on_hand, allocated = _quantities(product, warehouse, version)
            yield f"W{warehouse}", sku, on_hand, allocated


class BenchConnector(WarehouseConnector):
    """Streams generated records, lazily, as a real connector would."""

    key = "bench"
    label = "Generated benchmark stock"

    def __init__(self, *, products: int, warehouses: int, version: int) -> None:
        super().__init__(parameters={})
        self.products, self.warehouse_count, self.version = products, warehouses, version

    def warehouses(self) -> Iterator[WarehouseInfo]:
        for warehouse in range(self.warehouse_count):
            yield WarehouseInfo(code=f"W{warehouse}", name=f"Warehouse {warehouse}")

    def stock(self) -> Iterator[StockRecord]:
        # Positional: the record's fields in order (code, SKU, on hand, available, allocated,
        # on hold, WMS time); about as cheap as building a record gets.
        for code, sku, on_hand, allocated in _records(
            self.products, self.warehouse_count, self.version
        ):
            yield StockRecord(code, sku, on_hand, None, allocated, None, WMS_TIME)

    def check(self) -> str:
        return "bench"


# --- the floor ---------------------------------------------------------------------------------


def _render(path: Path, products: int, warehouses: int, version: int) -> None:
    """The COPY text of the records, written to a file before the clock starts."""
    stamp = WMS_TIME.isoformat()
    with open(path, "w") as output:
        for code, sku, on_hand, allocated in _records(products, warehouses, version):
            available = max(on_hand - allocated, 0)
            output.write(f"{code}\t{sku}\t\t{on_hand}\t{available}\t{allocated}\t\\N\t{stamp}\n")


def _floor_prepare(merchant: Merchant, products: int, warehouses: int) -> None:
    codes = [f"W{warehouse}" for warehouse in range(warehouses)]
    Warehouse.objects.bulk_create(
        Warehouse(merchant=merchant, external_code=code, name=code) for code in codes
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PRODUCT} (merchant_id, sku, name, created_at, updated_at)"
            " SELECT %s, 'SKU-' || lpad(n::text, 7, '0'), '', now(), now()"
            " FROM generate_series(0, %s) n",
            [merchant.pk, products - 1],
        )
        cursor.execute("ANALYZE")


def _floor(merchant: Merchant, path: Path) -> tuple[float, int]:
    """COPY the pre-rendered file into staging + the bare upsert. Returns (seconds, changed)."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS floor_stage")
        cursor.execute("DROP TABLE IF EXISTS floor_stage_warehouse")
        cursor.execute(
            "CREATE TEMPORARY TABLE floor_stage (warehouse_code text NOT NULL, sku text NOT NULL,"
            " name text NOT NULL, on_hand integer NOT NULL, available integer NOT NULL,"
            " allocated integer, on_hold integer, wms_updated_at timestamptz)"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE floor_stage_warehouse AS SELECT external_code AS code,"
            f" id AS warehouse_id FROM {Warehouse._meta.db_table} WHERE merchant_id = %s",
            [merchant.pk],
        )
        started = time.perf_counter()
        with open(path) as data:
            cursor.cursor.copy_expert("COPY floor_stage FROM STDIN", data)
        cursor.execute("ANALYZE floor_stage")
        cursor.execute(
            f"INSERT INTO {LEVEL} (product_id, warehouse_id, quantity_on_hand,"
            " quantity_available, quantity_allocated, quantity_on_hold, wms_updated_at, loaded_at)"
            " SELECT p.id, w.warehouse_id, s.on_hand, s.available, s.allocated, s.on_hold,"
            " s.wms_updated_at, now() FROM floor_stage s"
            " JOIN floor_stage_warehouse w ON w.code = s.warehouse_code"
            f" JOIN {PRODUCT} p ON p.merchant_id = %s AND p.sku = s.sku WHERE TRUE"
            " ON CONFLICT (product_id, warehouse_id) DO UPDATE SET"
            " quantity_on_hand = excluded.quantity_on_hand,"
            " quantity_available = excluded.quantity_available,"
            " quantity_allocated = excluded.quantity_allocated,"
            " quantity_on_hold = excluded.quantity_on_hold,"
            " wms_updated_at = excluded.wms_updated_at, loaded_at = excluded.loaded_at"
            f" WHERE ({LEVEL}.quantity_on_hand, {LEVEL}.quantity_available,"
            f" {LEVEL}.quantity_allocated, {LEVEL}.quantity_on_hold) IS DISTINCT FROM"
            " (excluded.quantity_on_hand, excluded.quantity_available,"
            " excluded.quantity_allocated, excluded.quantity_on_hold)",
            [merchant.pk],
        )
        changed = cursor.rowcount
        elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE floor_stage")
        cursor.execute("DROP TABLE floor_stage_warehouse")
    return elapsed, changed


class _StatementTimer:
    """With --profile: prints every statement of the download that takes longer than 0.2 s."""

    def __init__(self) -> None:
        self.enabled = False

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            if self.enabled and elapsed > 0.2:
                print(f"  {elapsed:7.2f} s  {' '.join(sql.split())[:150]}", flush=True)


_timer = _StatementTimer()


def _engine(merchant: Merchant, products: int, warehouses: int, version: int):
    connector = BenchConnector(products=products, warehouses=warehouses, version=version)
    started = time.perf_counter()
    if _timer.enabled:
        with connection.cursor() as cursor:
            # The plans of the slow statements, in the server's log (needs a superuser).
            cursor.execute("LOAD 'auto_explain'")
            cursor.execute("SET auto_explain.log_min_duration = '2s'")
            cursor.execute("SET auto_explain.log_analyze = on")
            cursor.execute("SET auto_explain.log_timing = off")
    with connection.execute_wrapper(_timer):
        run = inventory_download(merchant=merchant, trigger=RunTrigger.MANUAL, connector=connector)
    elapsed = time.perf_counter() - started
    if run.state != RunState.SUCCEEDED:
        raise SystemExit(f"The download did not succeed: {run.state} {run.message}")
    print(run.log.rstrip(), flush=True)
    return elapsed, run


def _bench_data_delete(merchant: Merchant) -> None:
    """Delete the bench merchant in SQL first: the ORM's cascade would load 2M rows."""
    with connection.cursor() as cursor:
        for table in (InventoryLevelChange._meta.db_table, LEVEL):
            cursor.execute(
                f"DELETE FROM {table} WHERE product_id IN"
                f" (SELECT id FROM {PRODUCT} WHERE merchant_id = %s)",
                [merchant.pk],
            )
        cursor.execute(f"DELETE FROM {Alias._meta.db_table} WHERE merchant_id = %s", [merchant.pk])
        cursor.execute(f"DELETE FROM {PRODUCT} WHERE merchant_id = %s", [merchant.pk])
    merchant_delete(merchant=merchant)


def _settle() -> None:
    """Start a phase from the same state as the other: a CHECKPOINT writes out what the
    previous phase left dirty (a 1M-row phase leaves ~0.5 GB of WAL behind it, and the next
    phase would otherwise pay for that checkpoint and its full-page writes). Needs a superuser
    or the pg_checkpoint role; without either, the phases run unsettled (and say so)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"(no CHECKPOINT between phases: {error})".strip(), flush=True)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=250_000)
    parser.add_argument("--warehouses", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="Keep the bench merchants.")
    parser.add_argument(
        "--profile", action="store_true", help="Print the download's statements over 0.2 s."
    )
    options = parser.parse_args()
    _timer.enabled = options.profile
    if connection.vendor != "postgresql":
        raise SystemExit("Run it against PostgreSQL: set DATABASE_URL=postgres://...")
    # DEBUG would keep every query in memory; the bench measures production behaviour.
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    products, warehouses = options.products, options.warehouses
    rows = products * warehouses
    tag = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    engine_merchant = merchant_create(name=f"bench-engine-{tag}")
    floor_merchant = merchant_create(name=f"bench-floor-{tag}")
    print(
        f"{rows} levels ({products} products x {warehouses} warehouses); "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{connection.cursor().connection.server_version // 10000} PostgreSQL",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        first_file, reload_file = Path(folder) / "first.tsv", Path(folder) / "reload.tsv"
        _render(first_file, products, warehouses, version=0)
        _render(reload_file, products, warehouses, version=1)
        _floor_prepare(floor_merchant, products, warehouses)

        _settle()
        floor_first, floor_first_changed = _floor(floor_merchant, first_file)
        _settle()
        engine_first, first_run = _engine(engine_merchant, products, warehouses, version=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a first load this large
        _settle()
        floor_steady, floor_steady_changed = _floor(floor_merchant, reload_file)
        _settle()
        engine_steady, steady_run = _engine(engine_merchant, products, warehouses, version=1)

    def report(phase: str, floor: float, engine: float, floor_changed: int, run) -> float:
        ratio = floor / engine
        print(
            f"{phase}: floor {rows / floor:,.0f} rows/s ({floor:.2f} s, {floor_changed} changed);"
            f" engine {rows / engine:,.0f} rows/s ({engine:.2f} s, {run.records_changed} changed,"
            f" {run.records_read} read); ratio {ratio:.2f}",
            flush=True,
        )
        return ratio

    first_ratio = report("first load", floor_first, engine_first, floor_first_changed, first_run)
    steady_ratio = report(
        "reload 1% changed", floor_steady, engine_steady, floor_steady_changed, steady_run
    )
    peak_rss_mb = _peak_rss_mb()  # before the clean-up, which is not part of the download
    if not options.keep:
        for merchant in (engine_merchant, floor_merchant):
            _bench_data_delete(merchant)
    print(
        f"first_ratio={first_ratio:.2f} steady_ratio={steady_ratio:.2f} "
        f"peak_rss_mb={peak_rss_mb:.0f}"
    )


if __name__ == "__main__":
    main()
