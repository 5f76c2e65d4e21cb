"""Reads about carts and their listings."""

from django.db.models import Q, QuerySet

from carts.models import Cart, CartListing
from sync.selectors import attach_runs, latest_upload_run_subquery


def cart_list_for(user) -> list[Cart]:
    carts = list(
        Cart.objects.visible_to(user)
        .select_related("merchant", "sync_warehouse")
        .annotate(last_upload_run_id=latest_upload_run_subquery())
    )
    return attach_runs(carts, id_attribute="last_upload_run_id", run_attribute="last_run")


def cart_detail_queryset_for(user) -> QuerySet[Cart]:
    return (
        Cart.objects.visible_to(user)
        .select_related("merchant", "sync_warehouse")
        .annotate(last_upload_run_id=latest_upload_run_subquery())
    )


def cart_listings(*, cart: Cart, query: str = "", status: str = "") -> QuerySet[CartListing]:
    """View Product Sync: the cart's listings by SKU, searchable by SKU (or the cart's item id)
    and filterable by status.

    A search matches the SKU (or item id) exactly when some listing has it, and otherwise every
    SKU starting with it; SKUs are compared as the cart spells them, as the upload matches them.
    """
    listings = CartListing.objects.filter(cart=cart).select_related("product")
    if status:
        listings = listings.filter(status=status)
    query = query.strip()
    if query:
        exact = listings.filter(Q(sku=query) | Q(external_item_id=query))
        listings = exact if exact.exists() else listings.filter(sku__startswith=query)
    return listings.order_by("sku", "external_item_id")
