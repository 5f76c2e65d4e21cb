"""Reads about warehouses, products and levels (the Locations & Products pages).

Searches match a SKU or an alias code: exactly first (what the seed article asks a support agent
to check: one result, recently loaded), and when nothing matches exactly, by prefix. Codes are
compared as the warehouse system spells them (case included), as the upload matches them.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum

from merchants.models import Merchant
from warehouses.models import Alias, InventoryLevel, InventoryLevelChange, Product, Warehouse

PREFIX_MATCH_LIMIT = 500


def warehouses_of(*, merchant: Merchant) -> QuerySet[Warehouse]:
    """The merchant's warehouses, Default first."""
    return Warehouse.objects.filter(merchant=merchant).order_by("-is_default", "name")


def warehouse_list(*, merchant: Merchant) -> list[Warehouse]:
    """The merchant's warehouses, Default first, each with `product_count`, how many products
    it holds.

    Counting a million levels takes longer than a page may, and a warehouse's count changes only
    when a load writes its levels, which moves its `last_loaded_at`: so each loaded warehouse's
    count is cached under that time (and its creation time, which makes the key unique), and
    counted again after the next load. A warehouse never loaded is counted each time.
    """
    warehouses = list(warehouses_of(merchant=merchant))
    keys = {
        warehouse.pk: (
            f"warehouse-product-count:{warehouse.pk}:{warehouse.created_at.timestamp()}:"
            f"{warehouse.last_loaded_at.timestamp()}"
        )
        for warehouse in warehouses
        if warehouse.last_loaded_at is not None
    }
    cached = cache.get_many(list(keys.values())) if keys else {}
    counts = {pk: cached[key] for pk, key in keys.items() if key in cached}
    missing = [warehouse.pk for warehouse in warehouses if warehouse.pk not in counts]
    if missing:
        counted = dict(
            InventoryLevel.objects.filter(warehouse_id__in=missing)
            .order_by()
            .values_list("warehouse_id")
            .annotate(count=Count("id"))
            .values_list("warehouse_id", "count")
        )
        fresh = {pk: counted.get(pk, 0) for pk in missing}
        counts.update(fresh)
        cache.set_many({keys[pk]: count for pk, count in fresh.items() if pk in keys}, None)
    for warehouse in warehouses:
        warehouse.product_count = counts[warehouse.pk]
    return warehouses


@dataclass(frozen=True)
class CodeMatch:
    """The products a searched code names, and how (`exact` or `prefix`)."""

    product_ids: tuple[int, ...]
    how: str

    @property
    def is_capped(self) -> bool:
        return self.how == "prefix" and len(self.product_ids) >= PREFIX_MATCH_LIMIT


def code_match(*, merchant: Merchant, query: str) -> CodeMatch:
    """The products whose SKU or one of whose alias codes is `query`; when none, those whose SKU
    or alias code starts with it (at most PREFIX_MATCH_LIMIT). Two queries at most per step."""
    query = query.strip()
    exact = set(Product.objects.filter(merchant=merchant, sku=query).values_list("pk", flat=True))
    exact |= set(
        Alias.objects.filter(merchant=merchant, value=query).values_list("product_id", flat=True)
    )
    if exact:
        return CodeMatch(tuple(sorted(exact)), "exact")
    prefix = set(
        Product.objects.filter(merchant=merchant, sku__startswith=query)
        .order_by("sku")
        .values_list("pk", flat=True)[:PREFIX_MATCH_LIMIT]
    )
    prefix |= set(
        Alias.objects.filter(merchant=merchant, value__startswith=query)
        .order_by("value")
        .values_list("product_id", flat=True)[:PREFIX_MATCH_LIMIT]
    )
    return CodeMatch(tuple(sorted(prefix))[:PREFIX_MATCH_LIMIT], "prefix")


def warehouse_levels(
    *, warehouse: Warehouse, query: str = "", match: CodeMatch | None = None
) -> QuerySet[InventoryLevel]:
    """A warehouse's levels with their products, by SKU; searched by SKU or alias code."""
    # The merchant condition lets PostgreSQL walk the (merchant, SKU) index in order and stop
    # after a page, instead of sorting every product.
    levels = InventoryLevel.objects.filter(
        warehouse=warehouse, product__merchant_id=warehouse.merchant_id
    ).select_related("product")
    if query.strip():
        match = match or code_match(merchant=warehouse.merchant, query=query)
        levels = levels.filter(product_id__in=match.product_ids)
    return levels.order_by("product__sku")


def product_summary(*, merchant: Merchant, query: str = "") -> QuerySet[Product]:
    """Add/View Products: each product with its totals over enabled warehouses. Fine for a page
    of a small catalogue; the page itself uses `product_page_rows`, which scales."""
    enabled = Q(levels__warehouse__is_enabled=True)
    products = merchant.products.annotate(
        total_available=Sum("levels__quantity_available", filter=enabled, default=0),
        total_on_hand=Sum("levels__quantity_on_hand", filter=enabled, default=0),
    ).order_by("sku")
    if query.strip():
        products = products.filter(pk__in=code_match(merchant=merchant, query=query).product_ids)
    return products


def products_for_page(
    *, merchant: Merchant, query: str = "", match: CodeMatch | None = None
) -> QuerySet[Product]:
    """Add/View Products: the merchant's products by SKU (totals are added per page)."""
    products = Product.objects.filter(merchant=merchant).order_by("sku")
    if query.strip():
        match = match or code_match(merchant=merchant, query=query)
        products = products.filter(pk__in=match.product_ids)
    return products


@dataclass(frozen=True)
class ProductRow:
    product: Product
    available_by_warehouse: dict[int, int]
    cells: tuple[int | None, ...]  # Quantity Available per warehouse, in the warehouses' order
    total_available: int
    total_on_hand: int


def product_rows(
    *, products: Sequence[Product], warehouses: Sequence[Warehouse]
) -> list[ProductRow]:
    """The summary of one page of products over all warehouses, in one query: Quantity Available
    in each warehouse, and the totals over enabled warehouses (a disabled one counts in none)."""
    enabled = {warehouse.pk for warehouse in warehouses if warehouse.is_enabled}
    available: dict[int, dict[int, int]] = defaultdict(dict)
    on_hand: dict[int, int] = defaultdict(int)
    for product_id, warehouse_id, quantity_available, quantity_on_hand in (
        InventoryLevel.objects.filter(product__in=[product.pk for product in products])
        .values_list("product_id", "warehouse_id", "quantity_available", "quantity_on_hand")
        .order_by()
    ):
        available[product_id][warehouse_id] = quantity_available
        if warehouse_id in enabled:
            on_hand[product_id] += quantity_on_hand
    return [
        ProductRow(
            product=product,
            available_by_warehouse=available[product.pk],
            cells=tuple(available[product.pk].get(warehouse.pk) for warehouse in warehouses),
            total_available=sum(
                quantity
                for warehouse_id, quantity in available[product.pk].items()
                if warehouse_id in enabled
            ),
            total_on_hand=on_hand[product.pk],
        )
        for product in products
    ]


@dataclass(frozen=True)
class ChartSeries:
    warehouse: Warehouse
    points: tuple[tuple[datetime, int], ...]


def product_history(*, product: Product, limit: int = 500) -> list[ChartSeries]:
    """Quantity Available over time per warehouse, from the recorded level changes (the latest
    `limit` changes of the product), oldest first.

    The download records a level's history from its first change on (its figure before the
    change included); a level that never changed has none, and its series is the level itself:
    one point, its figure at `loaded_at`."""
    changes = list(
        InventoryLevelChange.objects.filter(product=product)
        .select_related("warehouse")
        .order_by("-recorded_at", "-id")[:limit]
    )
    warehouses: dict[int, Warehouse] = {}
    by_warehouse: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for change in reversed(changes):
        warehouses[change.warehouse_id] = change.warehouse
        by_warehouse[change.warehouse_id].append((change.recorded_at, change.quantity_available))
    for level in InventoryLevel.objects.filter(product=product).select_related("warehouse"):
        if level.warehouse_id not in by_warehouse:
            warehouses[level.warehouse_id] = level.warehouse
            by_warehouse[level.warehouse_id].append((level.loaded_at, level.quantity_available))
    return [
        ChartSeries(warehouse=warehouses[warehouse_id], points=tuple(points))
        for warehouse_id, points in sorted(
            by_warehouse.items(),
            key=lambda item: (not warehouses[item[0]].is_default, warehouses[item[0]].name),
        )
    ]
