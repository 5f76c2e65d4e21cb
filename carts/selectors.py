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


def cart_listings(*, cart: Cart, query: str = "", status: str = "") -> QuerySet[CartListing]:
    """View Product Sync: the cart's listings, searchable by SKU and filterable by status."""
    listings = cart.listings.select_related("product").order_by("sku", "external_item_id")
    query = query.strip()
    if query:
        listings = listings.filter(Q(sku__istartswith=query) | Q(external_item_id=query))
    if status:
        listings = listings.filter(status=status)
    return listings
