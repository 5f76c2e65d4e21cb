"""Each rule of the domain is enforced by the database itself, not only by Python: a row that
breaks it is refused even when written with `.update()` or raw SQL. Runs on SQLite and PostgreSQL
(`make test` with and without DATABASE_URL)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from carts.models import CartListing, ItemFilter
from merchants.models import Merchant
from merchants.services import merchant_create, merchant_delete
from sync.models import RunKind, RunState, RunTrigger, SyncRun
from tests.factories import (
    AliasFactory,
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    MerchantFactory,
    ProductFactory,
    WarehouseFactory,
)
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

pytestmark = pytest.mark.django_db


def refused(callable_, *args, **kwargs) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_(*args, **kwargs)


def test_sku_is_unique_per_merchant(merchant, other_merchant):
    Product.objects.create(merchant=merchant, sku="ABC-1")

    refused(Product.objects.create, merchant=merchant, sku="ABC-1")

    Product.objects.create(merchant=other_merchant, sku="ABC-1")
    assert Product.objects.filter(sku="ABC-1").count() == 2


def test_empty_sku_is_refused(merchant):
    refused(Product.objects.create, merchant=merchant, sku="")


def test_alias_value_is_unique_per_merchant_across_products_and_names(merchant, other_merchant):
    first = ProductFactory(merchant=merchant)
    second = ProductFactory(merchant=merchant)
    AliasFactory(product=first, name="UPC", value="012345")

    refused(Alias.objects.create, merchant=merchant, product=second, name="UPC", value="012345")
    refused(Alias.objects.create, merchant=merchant, product=second, name="EAN", value="012345")

    AliasFactory(product=ProductFactory(merchant=other_merchant), value="012345")
    assert Alias.objects.filter(value="012345").count() == 2


def test_merchant_is_created_with_exactly_one_default_warehouse():
    merchant = merchant_create(name="Acme")

    defaults = list(merchant.warehouses.filter(is_default=True))
    assert [(warehouse.name, warehouse.external_code) for warehouse in defaults] == [
        ("Default", "")
    ]


def test_a_second_default_warehouse_is_refused(merchant):
    refused(Warehouse.objects.create, merchant=merchant, external_code="EAST", is_default=True)

    extra = WarehouseFactory(merchant=merchant)
    refused(Warehouse.objects.filter(pk=extra.pk).update, is_default=True)
    assert merchant.warehouses.filter(is_default=True).count() == 1


def test_default_warehouse_cannot_be_deleted(merchant):
    default = merchant.warehouses.get(is_default=True)

    refused(default.delete)
    refused(Warehouse.objects.filter(pk=default.pk).delete)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM warehouses_warehouse WHERE id = %s", [default.pk])

    assert Warehouse.objects.filter(pk=default.pk, is_default=True).exists()


def test_other_warehouses_can_be_deleted(merchant):
    extra = WarehouseFactory(merchant=merchant)

    extra.delete()

    assert list(merchant.warehouses.values_list("is_default", flat=True)) == [True]


def test_deleting_a_merchant_takes_its_default_warehouse_with_it(merchant):
    InventoryLevelFactory(product=ProductFactory(merchant=merchant))
    merchant_id = merchant.pk

    merchant_delete(merchant=merchant)

    assert not Merchant.objects.filter(pk=merchant_id).exists()
    assert not Warehouse.objects.filter(merchant_id=merchant_id).exists()
    assert InventoryLevel.objects.count() == 0


def test_one_level_per_product_and_warehouse(merchant):
    level = InventoryLevelFactory(product=ProductFactory(merchant=merchant))

    refused(
        InventoryLevel.objects.create,
        product=level.product,
        warehouse=level.warehouse,
        loaded_at=timezone.now(),
    )


@pytest.mark.parametrize(
    "field",
    ["quantity_on_hand", "quantity_available", "quantity_allocated", "quantity_on_hold"],
)
def test_negative_level_quantities_are_refused(merchant, field):
    level = InventoryLevelFactory(product=ProductFactory(merchant=merchant))

    refused(InventoryLevel.objects.filter(pk=level.pk).update, **{field: -1})

    level.refresh_from_db()
    assert getattr(level, field) in (10, None)


def test_one_listing_per_cart_item(merchant):
    cart = CartFactory(merchant=merchant)
    CartListingFactory(cart=cart, external_item_id="gid://shopify/InventoryItem/1")

    refused(CartListing.objects.create, cart=cart, external_item_id="gid://shopify/InventoryItem/1")

    CartListingFactory(
        cart=CartFactory(merchant=merchant), external_item_id="gid://shopify/InventoryItem/1"
    )


def test_negative_posted_quantity_and_minimum_level_are_refused(merchant):
    cart = CartFactory(merchant=merchant)
    listing = CartListingFactory(cart=cart)

    refused(CartListing.objects.filter(pk=listing.pk).update, posted_quantity=-3)
    refused(type(cart).objects.filter(pk=cart.pk).update, minimum_inventory_level=-1)


def test_cart_quantity_may_be_negative_because_carts_allow_overselling(merchant):
    listing = CartListingFactory(cart=CartFactory(merchant=merchant))

    CartListing.objects.filter(pk=listing.pk).update(cart_quantity=-2)

    listing.refresh_from_db()
    assert listing.cart_quantity == -2


def test_item_filter_sku_is_unique_per_cart(merchant):
    cart = CartFactory(merchant=merchant)
    ItemFilter.objects.create(cart=cart, sku="ABC")

    refused(ItemFilter.objects.create, cart=cart, sku="ABC")


def test_interval_out_of_range_is_refused(merchant):
    refused(Merchant.objects.filter(pk=merchant.pk).update, inventory_interval_minutes=0)


def test_one_running_download_per_merchant(merchant):
    SyncRun.objects.create(
        kind=RunKind.DOWNLOAD,
        merchant=merchant,
        trigger=RunTrigger.SCHEDULE,
        state=RunState.RUNNING,
    )

    refused(
        SyncRun.objects.create,
        kind=RunKind.DOWNLOAD,
        merchant=merchant,
        trigger=RunTrigger.MANUAL,
        state=RunState.RUNNING,
    )
    SyncRun.objects.create(
        kind=RunKind.DOWNLOAD, merchant=merchant, trigger=RunTrigger.MANUAL, state=RunState.SKIPPED
    )


def test_one_running_upload_per_cart(merchant):
    cart = CartFactory(merchant=merchant)
    running = {"kind": RunKind.UPLOAD, "merchant": merchant, "trigger": RunTrigger.SCHEDULE}
    SyncRun.objects.create(cart=cart, state=RunState.RUNNING, **running)

    refused(SyncRun.objects.create, cart=cart, state=RunState.RUNNING, **running)
    SyncRun.objects.create(cart=CartFactory(merchant=merchant), state=RunState.RUNNING, **running)


def test_an_upload_run_needs_a_cart_and_a_download_run_has_none(merchant):
    cart = CartFactory(merchant=merchant)

    refused(SyncRun.objects.create, kind=RunKind.UPLOAD, merchant=merchant, trigger="manual")
    refused(
        SyncRun.objects.create,
        kind=RunKind.DOWNLOAD,
        merchant=merchant,
        cart=cart,
        trigger="manual",
    )


def test_negative_run_counts_are_refused(merchant):
    run = SyncRun.objects.create(kind=RunKind.DOWNLOAD, merchant=merchant, trigger="manual")

    refused(SyncRun.objects.filter(pk=run.pk).update, items_failed=-1)


def test_merchant_names_are_unique():
    MerchantFactory(name="Acme")

    refused(Merchant.objects.create, name="Acme")
