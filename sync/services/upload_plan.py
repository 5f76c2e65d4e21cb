"""What each cart listing should hold: matching through Push Inventory Using Alias, Quantity
Available per product (one warehouse or Combine All Locations), Minimum Inventory Level and Item
Filters. Reads only; set-based (a few queries per thousand SKUs, never one per listing)."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection
from django.db.models import Sum

from carts.models import Cart, ItemFilterMode, ListingStatus
from warehouses.models import Alias, InventoryLevel, Product, Warehouse

# Small enough for SQLite's bound-parameter limit, large enough to keep the query count low.
QUERY_CHUNK_SIZE = 900
# Where the database has no such limit (PostgreSQL), fewer, larger queries.
LARGE_QUERY_CHUNK_SIZE = 10_000

T = TypeVar("T")


def query_chunk_size() -> int:
    """Values in one `IN (…)` of a read: QUERY_CHUNK_SIZE under a bound-parameter limit."""
    return QUERY_CHUNK_SIZE if connection.features.max_query_params else LARGE_QUERY_CHUNK_SIZE


def chunked(values: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True)
class Candidate:
    """A product a cart SKU matched, and how: through the chosen alias, or as its Master SKU."""

    product_id: int
    product_sku: str
    is_alias_match: bool = False


@dataclass(frozen=True)
class ListingDecision:
    """What the upload does with one listing.

    `quantity` is set only for listings to sync (status IN_SYNC or UPDATED once confirmed):
    the number the cart must hold. The other statuses leave the item untouched in the cart.
    """

    status: ListingStatus
    product_id: int | None
    quantity: int | None
    reason: str


@dataclass(frozen=True)
class UploadRules:
    """The cart's settings, resolved once per run."""

    alias_name: str
    item_filter_mode: str
    item_filter_skus: frozenset[str]
    minimum_inventory_level: int

    @property
    def match_label(self) -> str:
        if self.alias_name:
            return f"alias '{self.alias_name}' (Push Inventory Using Alias)"
        return "Master SKU (Push Inventory Using Alias)"


def upload_rules_for(*, cart: Cart) -> UploadRules:
    filter_skus: frozenset[str] = frozenset()
    if cart.item_filter_mode != ItemFilterMode.OFF:
        filter_skus = frozenset(cart.item_filters.values_list("sku", flat=True))
    return UploadRules(
        alias_name=cart.push_alias_name.strip(),
        item_filter_mode=cart.item_filter_mode,
        item_filter_skus=filter_skus,
        minimum_inventory_level=cart.minimum_inventory_level,
    )


def upload_candidates(*, cart: Cart, skus: Iterable[str]) -> dict[str, list[Candidate]]:
    """The products each cart SKU matches, for `listing_decide`.

    Matching is exact (case and spaces included). Master SKU: the product whose SKU equals the
    cart's SKU. An alias name: the product holding an alias of that name whose code equals the
    cart's SKU; and, so that a collision is reported rather than silently resolved, the product
    whose Master SKU equals it. The database keeps SKUs unique and alias codes unique within a
    merchant, so that collision (one product's alias code is another product's SKU) is the only
    way one code can name two products.
    """
    wanted = sorted({sku for sku in skus if sku})
    alias_name = cart.push_alias_name.strip()
    candidates: dict[str, list[Candidate]] = defaultdict(list)
    for chunk in chunked(wanted, query_chunk_size()):
        chunk_set = set(chunk)
        rows = Product.objects.filter(merchant_id=cart.merchant_id, sku__in=chunk).values_list(
            "sku", "id", "sku"
        )
        if alias_name:
            alias_rows = Alias.objects.filter(
                merchant_id=cart.merchant_id, name=alias_name, value__in=chunk
            ).values_list("value", "product_id", "product__sku")
            for code, product_id, product_sku in alias_rows:
                if code in chunk_set:
                    candidates[code].append(Candidate(product_id, product_sku, True))
        for code, product_id, product_sku in rows:
            # Exact match only, whatever the database's collation does with case.
            if code in chunk_set:
                candidates[code].append(Candidate(product_id, product_sku, False))
    return dict(candidates)


def _match(
    *, sku: str, candidates: Sequence[Candidate], rules: UploadRules
) -> tuple[int | None, ListingStatus | None, str]:
    """(the matched product, or the status and reason why there is none)."""
    if not sku:
        return None, ListingStatus.NO_MATCH, "The cart reports no SKU for this item."
    product_ids = {candidate.product_id for candidate in candidates}
    if rules.alias_name and not any(candidate.is_alias_match for candidate in candidates):
        reason = (
            f"No product matches SKU '{sku}' by {rules.match_label}. The codes must match exactly."
        )
        if candidates:
            reason += (
                f" Product {candidates[0].product_sku} has it as its Master SKU but no "
                f"'{rules.alias_name}' alias, so it is skipped."
            )
        return None, ListingStatus.NO_MATCH, reason
    if not candidates:
        return (
            None,
            ListingStatus.NO_MATCH,
            f"No product matches SKU '{sku}' by {rules.match_label}. The codes must match exactly.",
        )
    if len(product_ids) > 1:
        names = ", ".join(
            sorted(
                f"{candidate.product_sku} (its "
                + (f"'{rules.alias_name}' alias" if candidate.is_alias_match else "Master SKU")
                + ")"
                for candidate in candidates
            )
        )
        return (
            None,
            ListingStatus.AMBIGUOUS,
            f"SKU '{sku}' matches several products: {names}. A code must identify one "
            "product only.",
        )
    return candidates[0].product_id, None, ""


@dataclass(frozen=True)
class Availability:
    """Quantity Available per product as the cart's Sync Inventory With Warehouse sees it."""

    quantities: Mapping[int, int]
    note: str = ""

    def of(self, product_id: int) -> int:
        return self.quantities.get(product_id, 0)


def upload_availability(*, cart: Cart, product_ids: Iterable[int]) -> Availability:
    """Quantity Available in the cart's warehouse, or summed over the merchant's enabled
    warehouses (Combine All Locations). A product with no level counts as 0. A disabled sync
    warehouse counts in no total, so every product is 0, and the note says why."""
    ids = sorted(set(product_ids))
    # Fetched afresh: whether it is enabled may have changed since the cart was loaded.
    warehouse = (
        Warehouse.objects.filter(pk=cart.sync_warehouse_id).first()
        if cart.sync_warehouse_id is not None
        else None
    )
    if warehouse is not None and not warehouse.is_enabled:
        return Availability(
            {},
            note=f"Sync Inventory With Warehouse is '{warehouse.name}', which is disabled: "
            "it counts as 0.",
        )
    quantities: dict[int, int] = {}
    for chunk in chunked(ids, query_chunk_size()):
        if warehouse is not None:
            rows = InventoryLevel.objects.filter(
                warehouse_id=warehouse.pk, product_id__in=chunk
            ).values_list("product_id", "quantity_available")
        else:
            rows = (
                InventoryLevel.objects.filter(
                    product_id__in=chunk,
                    warehouse__merchant_id=cart.merchant_id,
                    warehouse__is_enabled=True,
                )
                .values("product_id")
                .annotate(total=Sum("quantity_available"))
                .values_list("product_id", "total")
            )
        quantities.update(rows)
    return Availability(quantities)


def listing_decide(
    *,
    sku: str,
    is_inventory_enabled: bool,
    candidates: Sequence[Candidate],
    rules: UploadRules,
    availability: Availability,
) -> ListingDecision:
    """The rules of PRODUCT.md §2 "Upload", in order, for one listing."""
    product_id, problem, problem_reason = _match(sku=sku, candidates=candidates, rules=rules)
    if rules.item_filter_mode == ItemFilterMode.WHITELIST and sku not in rules.item_filter_skus:
        return ListingDecision(
            ListingStatus.FILTERED,
            product_id,
            None,
            "Excluded by Item Filters: the whitelist does not list this SKU.",
        )
    if rules.item_filter_mode == ItemFilterMode.BLACKLIST and sku in rules.item_filter_skus:
        return ListingDecision(
            ListingStatus.FILTERED,
            product_id,
            None,
            "Excluded by Item Filters: the blacklist lists this SKU.",
        )
    if not is_inventory_enabled:
        return ListingDecision(
            ListingStatus.NOT_TRACKED,
            product_id,
            None,
            "Inventory Enabled is NO: the cart does not track inventory for this item. Turn on "
            "inventory tracking for it in the cart.",
        )
    if problem is not None:
        return ListingDecision(problem, None, None, problem_reason)
    available = availability.of(product_id)
    quantity = available
    notes = [availability.note] if availability.note else []
    minimum = rules.minimum_inventory_level
    if minimum > 0 and available < minimum:
        quantity = 0
        notes.append(
            f"Quantity Available {available} is below the Minimum Inventory Level {minimum}: "
            "posting 0."
        )
    return ListingDecision(ListingStatus.IN_SYNC, product_id, quantity, " ".join(notes))
