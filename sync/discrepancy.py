"""The discrepancy report of a cart: every listing whose cart quantity differs from what it
should be under the cart's settings, with the reason.

"What it should be" is what the upload would post now (`sync.services.upload_plan`: matching by
Push Inventory Using Alias, Quantity Available in the chosen warehouse or over enabled ones,
Minimum Inventory Level). A listing the upload skips (Item Filters, Inventory Enabled = NO) is
compared with what it would hold if it were synced; a listing that matches no product, or
several, is listed because nothing keeps its number right. Reads only, set-based: a few queries
per 900 listings, never one per listing.
"""

import csv
import io
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from carts.models import Cart, CartListing, ListingStatus, UploadMode
from sync.services.upload_plan import (
    QUERY_CHUNK_SIZE,
    listing_decide,
    upload_availability,
    upload_candidates,
    upload_rules_for,
)

_FIELDS = (
    "pk",
    "sku",
    "external_item_id",
    "title",
    "is_inventory_enabled",
    "cart_quantity",
    "posted_quantity",
    "status",
    "reason",
    "last_synced_at",
)


@dataclass(frozen=True)
class Discrepancy:
    listing_id: int
    sku: str
    external_item_id: str
    title: str
    product_id: int | None
    product_sku: str
    is_inventory_enabled: bool
    cart_quantity: int | None
    expected_quantity: int | None
    posted_quantity: int | None
    last_synced_at: datetime | None
    status: ListingStatus
    reason: str


def cart_discrepancies(*, cart: Cart, first_chunk: int = QUERY_CHUNK_SIZE) -> Iterator[Discrepancy]:
    """Yield the cart's discrepancies in the cart's own order (listings no longer in the cart
    are left out). A generator: the page stops after the first ones, the CSV streams them all.
    Listings are read `first_chunk` at a time at first, twice as many each time after, up to
    QUERY_CHUNK_SIZE: a page that needs a few rows reads few listings."""
    rules = upload_rules_for(cart=cart)
    is_upload_off = cart.upload_mode == UploadMode.OFF
    last_pk = 0
    size = max(1, min(first_chunk, QUERY_CHUNK_SIZE))
    while True:
        rows = list(
            CartListing.objects.filter(cart=cart, pk__gt=last_pk)
            .exclude(status=ListingStatus.REMOVED)
            .order_by("pk")
            .values(*_FIELDS)[:size]
        )
        if not rows:
            return
        last_pk = rows[-1]["pk"]
        yield from _chunk_discrepancies(cart, rows, rules=rules, is_upload_off=is_upload_off)
        size = min(size * 2, QUERY_CHUNK_SIZE)


def cart_discrepancies_first(*, cart: Cart, limit: int) -> tuple[list[Discrepancy], bool]:
    """The first `limit` discrepancies, and whether there are more."""
    found = list(itertools.islice(cart_discrepancies(cart=cart, first_chunk=limit + 1), limit + 1))
    return found[:limit], len(found) > limit


def _chunk_discrepancies(cart, rows, *, rules, is_upload_off) -> Iterable[Discrepancy]:
    candidates = upload_candidates(cart=cart, skus=[row["sku"] for row in rows])
    product_ids = {c.product_id for found in candidates.values() for c in found}
    availability = upload_availability(cart=cart, product_ids=product_ids)
    product_skus = {c.product_id: c.product_sku for found in candidates.values() for c in found}
    for row in rows:
        found = candidates.get(row["sku"], [])
        decision = listing_decide(
            sku=row["sku"],
            is_inventory_enabled=row["is_inventory_enabled"],
            candidates=found,
            rules=rules,
            availability=availability,
        )
        expected = decision.quantity
        if expected is None and decision.product_id is not None:
            # Skipped by Item Filters or not tracked: what it would hold if it were synced.
            available = availability.of(decision.product_id)
            minimum = rules.minimum_inventory_level
            expected = 0 if minimum > 0 and available < minimum else available
        reason = _reason(row, decision, expected, is_upload_off=is_upload_off)
        if reason is None:
            continue
        yield Discrepancy(
            listing_id=row["pk"],
            sku=row["sku"],
            external_item_id=row["external_item_id"],
            title=row["title"],
            product_id=decision.product_id,
            product_sku=product_skus.get(decision.product_id, ""),
            is_inventory_enabled=row["is_inventory_enabled"],
            cart_quantity=row["cart_quantity"],
            expected_quantity=expected,
            posted_quantity=row["posted_quantity"],
            last_synced_at=row["last_synced_at"],
            status=decision.status,
            reason=reason,
        )


def _reason(row, decision, expected, *, is_upload_off: bool) -> str | None:
    """Why the cart's number is not what it should be; None when it is."""
    if decision.status in (ListingStatus.NO_MATCH, ListingStatus.AMBIGUOUS):
        return decision.reason
    if row["cart_quantity"] == expected:
        return None
    if decision.status in (ListingStatus.FILTERED, ListingStatus.NOT_TRACKED):
        return decision.reason
    notes = [decision.reason] if decision.reason else []
    if is_upload_off:
        return " ".join(
            ["Inventory Upload Service is Off: nothing is uploaded to this cart.", *notes]
        )
    if row["status"] == ListingStatus.FAILED:
        return " ".join([f"The last upload of this item failed: {row['reason']}", *notes])
    if row["last_synced_at"] is None:
        return " ".join(["Not uploaded yet (Last Cart Sync Date is NEVER).", *notes])
    if row["posted_quantity"] == expected:
        return (
            f"We posted {expected}, but the cart now holds {row['cart_quantity']}: it was "
            "changed in the cart. The next re-read of the cart corrects it."
        )
    return " ".join(
        ["The warehouse data changed since the last upload; the next upload posts it.", *notes]
    )


CSV_COLUMNS = (
    "SKU",
    "Cart item id",
    "Title",
    "Matched product",
    "Inventory Enabled",
    "Cart quantity",
    "Should be",
    "Posted quantity",
    "Last Cart Sync Date",
    "Status",
    "Reason",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell that a spreadsheet will not run as a formula: text starting with = + - @, a tab or
    a carriage return gets a leading quote. Numbers are written as numbers (a negative number is
    not a formula), so only text, which comes from the cart or the warehouse system, is touched.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def discrepancy_csv_rows(discrepancies: Iterable[Discrepancy]) -> Iterator[str]:
    """The CSV text, one line at a time (header first), for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate(0)
        writer.writerow([csv_cell(value) for value in values])
        return buffer.getvalue()

    yield line(CSV_COLUMNS)
    for item in discrepancies:
        yield line(
            (
                item.sku,
                item.external_item_id,
                item.title,
                item.product_sku,
                "YES" if item.is_inventory_enabled else "NO",
                "" if item.cart_quantity is None else item.cart_quantity,
                "" if item.expected_quantity is None else item.expected_quantity,
                "" if item.posted_quantity is None else item.posted_quantity,
                item.last_synced_at.strftime("%Y-%m-%d %H:%M:%S")
                if item.last_synced_at
                else "NEVER",
                ListingStatus(item.status).label,
                item.reason,
            )
        )
