"""Reads about warehouses, products and levels."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from merchants.models import Merchant
from warehouses.models import Alias, InventoryLevel, Product, Warehouse


def warehouse_list(*, merchant: Merchant) -> QuerySet[Warehouse]:
    """The merchant's warehouses, Default first, each with how many products it holds."""
    return merchant.warehouses.annotate(product_count=Count("levels")).order_by(
        "-is_default", "name"
    )


def _code_search(queryset: QuerySet, *, merchant: Merchant, query: str, product_path: str):
    """Match a SKU or an alias code exactly or by prefix."""
    query = query.strip()
    if not query:
        return queryset
    alias_match = Alias.objects.filter(
        merchant=merchant, product=OuterRef(f"{product_path}pk"), value__istartswith=query
    )
    return queryset.filter(Q(**{f"{product_path}sku__istartswith": query}) | Exists(alias_match))


def warehouse_levels(*, warehouse: Warehouse, query: str = "") -> QuerySet[InventoryLevel]:
    levels = warehouse.levels.select_related("product").order_by("product__sku")
    return _code_search(levels, merchant=warehouse.merchant, query=query, product_path="product__")


def product_summary(*, merchant: Merchant, query: str = "") -> QuerySet[Product]:
    """Add/View Products: each product with its totals over enabled warehouses."""
    enabled = Q(levels__warehouse__is_enabled=True)
    products = merchant.products.annotate(
        total_available=Sum("levels__quantity_available", filter=enabled, default=0),
        total_on_hand=Sum("levels__quantity_on_hand", filter=enabled, default=0),
    ).order_by("sku")
    return _code_search(products, merchant=merchant, query=query, product_path="")
