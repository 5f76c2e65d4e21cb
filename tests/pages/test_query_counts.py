"""Every list page costs the same number of queries for 1 row as for 30: no N+1. The numbers
are pinned, so a change that adds a query per page is seen here too."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from carts.models import ListingStatus
from sync.models import Alert, RunKind
from tests.factories import (
    AliasFactory,
    CartFactory,
    CartListingFactory,
    InventoryLevelFactory,
    ItemFilterFactory,
    MembershipFactory,
    MerchantFactory,
    ProductFactory,
    SyncRunFactory,
    WarehouseFactory,
)
from warehouses.models import InventoryLevelChange

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def _merchants(agent, rows):
    for _ in range(rows):
        merchant = MerchantFactory()
        SyncRunFactory(merchant=merchant)
        CartFactory(merchant=merchant)
    return reverse("merchants:list")


def _carts(agent, rows):
    merchant = MerchantFactory()
    for _ in range(rows):
        cart = CartFactory(merchant=merchant, sync_warehouse=WarehouseFactory(merchant=merchant))
        SyncRunFactory(merchant=merchant, cart=cart, kind=RunKind.UPLOAD)
    return reverse("carts:list")


def _locations(agent, rows):
    merchant = MerchantFactory()
    for _ in range(rows - 1):
        InventoryLevelFactory(
            warehouse=WarehouseFactory(merchant=merchant), product__merchant=merchant
        )
    return reverse("warehouses:locations", kwargs={"merchant_pk": merchant.pk})


def _levels(agent, rows, query=""):
    merchant = MerchantFactory()
    warehouse = WarehouseFactory(merchant=merchant)
    for number in range(rows):
        product = ProductFactory(merchant=merchant, sku=f"TENT-{number:03d}")
        AliasFactory(product=product)
        InventoryLevelFactory(product=product, warehouse=warehouse)
    url = reverse("warehouses:warehouse", kwargs={"merchant_pk": merchant.pk, "pk": warehouse.pk})
    return f"{url}?q={query}" if query else url


def _levels_search(agent, rows):
    return _levels(agent, rows, query="TENT-")


def _products(agent, rows):
    merchant = MerchantFactory()
    east = WarehouseFactory(merchant=merchant)
    for number in range(rows):
        product = ProductFactory(merchant=merchant, sku=f"TENT-{number:03d}")
        InventoryLevelFactory(product=product)
        InventoryLevelFactory(product=product, warehouse=east)
    return reverse("warehouses:products", kwargs={"merchant_pk": merchant.pk})


def _product(agent, rows):
    merchant = MerchantFactory()
    product = ProductFactory(merchant=merchant)
    default = merchant.warehouses.get(is_default=True)
    for number in range(rows):
        AliasFactory(product=product, name=f"ALIAS-{number}")
        warehouse = WarehouseFactory(merchant=merchant)
        InventoryLevelFactory(product=product, warehouse=warehouse)
        CartListingFactory(cart=CartFactory(merchant=merchant), product=product)
        InventoryLevelChange.objects.create(
            product=product, warehouse=default, quantity_available=number, recorded_at=WHEN
        )
    return reverse("warehouses:product", kwargs={"merchant_pk": merchant.pk, "pk": product.pk})


def _product_sync(agent, rows, query=""):
    cart = CartFactory()
    for number in range(rows):
        product = ProductFactory(merchant=cart.merchant, sku=f"TENT-{number:03d}")
        CartListingFactory(
            cart=cart, product=product, sku=product.sku, status=ListingStatus.IN_SYNC
        )
    url = reverse("carts:product_sync", kwargs={"pk": cart.pk})
    return f"{url}?q={query}&status=in_sync" if query else url


def _product_sync_search(agent, rows):
    return _product_sync(agent, rows, query="TENT-")


def _item_filters(agent, rows):
    cart = CartFactory()
    for _ in range(rows):
        ItemFilterFactory(cart=cart)
    return reverse("carts:item_filters", kwargs={"pk": cart.pk})


def _discrepancies(agent, rows):
    cart = CartFactory()
    for number in range(rows):
        product = ProductFactory(merchant=cart.merchant, sku=f"TENT-{number:03d}")
        InventoryLevelFactory(product=product)
        CartListingFactory(cart=cart, product=product, sku=product.sku, cart_quantity=1)
    return reverse("carts:discrepancies", kwargs={"pk": cart.pk})


def _runs(agent, rows):
    merchant = MerchantFactory()
    cart = CartFactory(merchant=merchant)
    for number in range(rows):
        if number % 2:
            SyncRunFactory(merchant=merchant, cart=cart, kind=RunKind.UPLOAD)
        else:
            SyncRunFactory(merchant=merchant)
    return reverse("sync:runs")


def _alerts(agent, rows):
    merchant = MerchantFactory()
    cart = CartFactory(merchant=merchant)
    for number in range(rows):
        Alert.objects.create(
            merchant=merchant,
            cart=cart,
            run=SyncRunFactory(merchant=merchant),
            key=f"alert-{number}",
            title=f"Problem {number}",
            first_seen_at=WHEN,
            last_seen_at=WHEN,
        )
    return reverse("sync:alerts")


def _merchant_page(agent, rows):
    merchant = MerchantFactory()
    SyncRunFactory(merchant=merchant)
    for _ in range(rows):
        WarehouseFactory(merchant=merchant)
        CartFactory(merchant=merchant)
    return reverse("merchants:detail", kwargs={"pk": merchant.pk})


def _cart_page(agent, rows):
    cart = CartFactory()
    for number in range(rows):
        CartListingFactory(cart=cart, status=list(ListingStatus.values)[number % 9])
    return reverse("carts:detail", kwargs={"pk": cart.pk})


# page → (its rows builder, the pinned number of queries)
PAGES = {
    "merchants:list": (_merchants, 4),
    "merchants:detail": (_merchant_page, 9),
    "carts:list": (_carts, 4),
    "carts:detail": (_cart_page, 5),
    "warehouses:locations": (_locations, 5),
    "warehouses:warehouse": (_levels, 5),
    "warehouses:warehouse?q": (_levels_search, 9),
    "warehouses:products": (_products, 6),
    "warehouses:product": (_product, 9),
    "carts:product_sync": (_product_sync, 4),
    "carts:product_sync?q": (_product_sync_search, 5),
    "carts:item_filters": (_item_filters, 4),
    "carts:discrepancies": (_discrepancies, 7),
    "sync:runs": (_runs, 5),
    "sync:alerts": (_alerts, 3),
}


@pytest.mark.parametrize("rows", [1, 30])
@pytest.mark.parametrize("page", list(PAGES))
def test_list_page_makes_a_constant_number_of_queries(
    client, support_agent, django_assert_num_queries, page, rows
):
    build, queries = PAGES[page]
    url = build(support_agent, rows)
    client.force_login(support_agent)

    with django_assert_num_queries(queries):
        response = client.get(url)

    assert response.status_code == 200


def test_a_merchant_users_list_pages_cost_the_same(
    client, merchant_user, merchant, django_assert_num_queries
):
    for _ in range(30):
        SyncRunFactory(merchant=merchant)
        CartFactory(merchant=merchant)
    other = MerchantFactory()
    MembershipFactory(merchant=other)
    client.force_login(merchant_user)

    with django_assert_num_queries(4):
        response = client.get(reverse("merchants:list"))

    assert response.status_code == 200
    assert other.name not in response.content.decode()
