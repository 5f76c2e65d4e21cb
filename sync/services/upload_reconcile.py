"""Re-reading a whole cart: the expensive read the upload does on the first run, on the cart's
reconciliation cadence and on demand.

The cart's items are streamed and upserted into `CartListing` in chunks (one
`INSERT … ON CONFLICT (cart, external_item_id) DO UPDATE` per chunk, each in its own short
transaction, never across a network call). Only a read that reached the end marks the listings
it did not see as removed and records the reconciliation.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from carts.connectors.base import CartConnector, CartItem
from carts.models import Cart, CartListing, ListingStatus

UPSERT_CHUNK_SIZE = 500

# Statuses of listings we keep in step with the warehouse: a quantity that differs from what we
# last knew for these is drift (someone edited the cart).
SYNCED_STATUSES = (ListingStatus.IN_SYNC, ListingStatus.UPDATED, ListingStatus.FAILED)


@dataclass(frozen=True)
class Drift:
    sku: str
    external_item_id: str
    known_quantity: int
    cart_quantity: int | None


@dataclass
class ReadOutcome:
    items_read: int = 0
    items_new: int = 0
    items_removed: int = 0
    drift: list[Drift] = field(default_factory=list)


def cart_reread_due(*, cart: Cart, reconcile: bool, now: datetime) -> bool:
    """Whether this upload must read the whole cart back."""
    if reconcile or cart.reconcile_requested or cart.last_reconciled_at is None:
        return True
    return now - cart.last_reconciled_at >= timedelta(minutes=cart.reconcile_interval_minutes)


def cart_listings_reread(*, cart: Cart, connector: CartConnector, now: datetime) -> ReadOutcome:
    """Stream the cart's items into its listings. Connector errors propagate; what was upserted
    before them stays (it is what the cart reported), but nothing is marked removed."""
    outcome = ReadOutcome()
    chunk: dict[str, CartItem] = {}
    try:
        for item in connector.list_items():
            outcome.items_read += 1
            # A cart that pages inconsistently can report an item twice: the last report wins.
            chunk[item.external_item_id] = item
            if len(chunk) >= UPSERT_CHUNK_SIZE:
                _upsert(cart=cart, items=list(chunk.values()), seen_at=now, outcome=outcome)
                chunk = {}
    finally:
        # Keep what the cart did report, even when the read broke off.
        if chunk:
            _upsert(cart=cart, items=list(chunk.values()), seen_at=now, outcome=outcome)

    with transaction.atomic():
        outcome.items_removed = (
            cart.listings.exclude(status=ListingStatus.REMOVED)
            .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now))
            .update(
                status=ListingStatus.REMOVED,
                reason=f"No longer in the cart (re-read {now:%Y-%m-%d %H:%M} UTC).",
            )
        )
        # An item that came back is synced again from scratch.
        cart.listings.filter(status=ListingStatus.REMOVED, last_seen_at=now).update(
            status=ListingStatus.PENDING, reason=""
        )
        Cart.objects.filter(pk=cart.pk).update(last_reconciled_at=now, reconcile_requested=False)
    cart.last_reconciled_at = now
    cart.reconcile_requested = False
    return outcome


def _upsert(*, cart: Cart, items: list[CartItem], seen_at: datetime, outcome: ReadOutcome) -> None:
    known = {
        external_item_id: (quantity, status)
        for external_item_id, quantity, status in cart.listings.filter(
            external_item_id__in=[item.external_item_id for item in items]
        ).values_list("external_item_id", "cart_quantity", "status")
    }
    for item in items:
        if item.external_item_id not in known:
            outcome.items_new += 1
            continue
        known_quantity, status = known[item.external_item_id]
        if (
            status in SYNCED_STATUSES
            and known_quantity is not None
            and item.quantity != known_quantity
        ):
            outcome.drift.append(
                Drift(item.sku, item.external_item_id, known_quantity, item.quantity)
            )
    with transaction.atomic():
        CartListing.objects.bulk_create(
            [
                CartListing(
                    cart=cart,
                    external_item_id=item.external_item_id,
                    external_parent_id=item.external_parent_id or "",
                    sku=item.sku or "",
                    title=(item.title or "")[:500],
                    is_inventory_enabled=item.is_inventory_tracked,
                    cart_quantity=item.quantity,
                    last_seen_at=seen_at,
                )
                for item in items
            ],
            update_conflicts=True,
            unique_fields=["cart", "external_item_id"],
            update_fields=[
                "external_parent_id",
                "sku",
                "title",
                "is_inventory_enabled",
                "cart_quantity",
                "last_seen_at",
            ],
        )
