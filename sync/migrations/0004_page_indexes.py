"""Indexes for the list and search pages at scale (bench/pages.py: 1M levels, 1M listings).

PostgreSQL only, and outside the models' state on purpose: they serve the pages' prefix
searches (`LIKE 'ABC%'` needs a `varchar_pattern_ops` index under a non-C collation) and the
newest-first run history, and the SQLite development database does not need them.
"""

from django.db import migrations

INDEXES = {
    "page_product_sku_prefix": "warehouses_product (merchant_id, sku varchar_pattern_ops)",
    "page_alias_value_prefix": "warehouses_alias (merchant_id, value varchar_pattern_ops)",
    "page_listing_sku_prefix": "carts_cartlisting (cart_id, sku varchar_pattern_ops)",
    "page_listing_status_sku": "carts_cartlisting (cart_id, status, sku, external_item_id)",
    "page_syncrun_newest": "sync_syncrun (created_at DESC, id DESC)",
}


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0003_audit_entry"),
        ("carts", "0002_initial"),
        ("warehouses", "0002_default_warehouse_cannot_be_deleted"),
    ]

    operations = [migrations.RunPython(indexes_create, indexes_drop, elidable=False)]
