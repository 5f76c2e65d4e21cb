"""The SKU troubleshooter: the checks of the vendor's article "Inventory Sync Issue/Discrepancy"
(`shared/seed/inventory-sync-issue-discrepancy.txt`), in its order, run on live data for one
merchant, one cart and one SKU as the cart spells it.

Each check passes, fails, or does not apply. The first failing check is the answer: it says
what is wrong and links to the setting or page that fixes it. Reads only.
"""

from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import StrEnum

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from carts.models import Cart, CartListing, ItemFilterMode, ListingStatus, UploadMode
from merchants.models import InventorySyncMode, Merchant
from sync.models import RunKind, RunState, SyncRun
from sync.services.upload_plan import (
    listing_decide,
    upload_availability,
    upload_candidates,
    upload_rules_for,
)
from warehouses.models import Alias, InventoryLevel, Product

STALE_AFTER_INTERVALS = 3


class CheckState(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return {"passed": "Passed", "failed": "Failed", "not_applicable": "Does not apply"}[self]

    @property
    def badge(self) -> str:
        return {"passed": "green", "failed": "red", "not_applicable": "grey"}[self]


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Check:
    step: str
    title: str
    state: CheckState
    detail: str
    fix: Link | None = None
    links: tuple[Link, ...] = ()


@dataclass
class Diagnosis:
    merchant: Merchant
    cart: Cart
    sku: str
    checks: list[Check] = field(default_factory=list)

    @property
    def first_failure(self) -> Check | None:
        return next((check for check in self.checks if check.state == CheckState.FAILED), None)


STEP_MERCHANT = "1. Check Merchant Settings"
STEP_CART = "2. Check Cart Settings"
STEP_WMS = "3. Check SKU coming from WMS/OMS"
STEP_CART_SYNC = "4. Check Cart Sync"


def sku_diagnose(*, merchant: Merchant, cart: Cart, sku: str) -> Diagnosis:
    """Run every check for `sku` (the cart's SKU) of `cart`, a cart of `merchant`."""
    if cart.merchant_id != merchant.pk:
        raise ValueError("The cart belongs to another merchant.")
    sku = sku.strip()
    diagnosis = Diagnosis(merchant=merchant, cart=cart, sku=sku)
    add = diagnosis.checks.append
    urls = _Urls(merchant, cart, sku)

    # --- 1. Merchant settings -----------------------------------------------------------------
    mode = merchant.inventory_sync_mode
    if mode == InventorySyncMode.OFF:
        add(
            Check(
                STEP_MERCHANT,
                "Synchronization With WMS – Inventory is turned on",
                CheckState.FAILED,
                "Synchronization With WMS – Inventory is Off: inventory is never downloaded from "
                "the warehouse system, so every cart keeps old numbers. Turn it on (Scheduled) "
                "in the merchant's Edit Setup.",
                fix=Link("Merchant Edit Setup", urls.merchant_setup),
            )
        )
    else:
        detail = (
            f"Scheduled: every {merchant.inventory_interval_minutes} minutes."
            if mode == InventorySyncMode.SCHEDULED
            else "Automatic: the warehouse system controls this step (it pushes inventory to "
            "us; we never poll it). The download checks below do not apply."
        )
        add(
            Check(
                STEP_MERCHANT,
                "Synchronization With WMS – Inventory is turned on",
                CheckState.PASSED,
                detail,
                links=(Link("Merchant Edit Setup", urls.merchant_setup),),
            )
        )
    last_run = (
        SyncRun.objects.filter(merchant=merchant, kind=RunKind.DOWNLOAD)
        .exclude(state=RunState.SKIPPED)
        .order_by("-created_at", "-id")
        .first()
    )
    if mode == InventorySyncMode.AUTOMATIC:
        for title in ("Last Inventory Run", "Status of the last inventory download"):
            add(
                Check(
                    STEP_MERCHANT,
                    title,
                    CheckState.NOT_APPLICABLE,
                    "Automatic: the warehouse system pushes inventory.",
                )
            )
    else:
        add(_last_run_check(merchant, last_run, urls))
        add(_status_check(last_run, urls))

    # --- 2. Cart settings ---------------------------------------------------------------------
    if cart.upload_mode == UploadMode.OFF:
        add(
            Check(
                STEP_CART,
                "Inventory Upload Service is turned on",
                CheckState.FAILED,
                f"Inventory Upload Service is Off for {cart.name}: nothing is uploaded to this "
                "cart. Turn it on (Scheduled or Automatic) in the cart's Edit Setup.",
                fix=Link("Cart Edit Setup", urls.cart_setup),
            )
        )
    else:
        add(
            Check(
                STEP_CART,
                "Inventory Upload Service is turned on",
                CheckState.PASSED,
                f"{cart.get_upload_mode_display()}"
                + (
                    f": every {cart.upload_interval_minutes} minutes."
                    if cart.upload_mode == UploadMode.SCHEDULED
                    else ": as soon as new warehouse data arrives."
                ),
            )
        )

    candidates = upload_candidates(cart=cart, skus=[sku]).get(sku, [])
    rules = upload_rules_for(cart=cart)
    availability = upload_availability(
        cart=cart, product_ids=[candidate.product_id for candidate in candidates]
    )
    # How the upload matches the SKU, whatever the Item Filters and the tracking flag say.
    match = listing_decide(
        sku=sku,
        is_inventory_enabled=True,
        candidates=candidates,
        rules=replace(rules, item_filter_mode=ItemFilterMode.OFF),
        availability=availability,
    )
    product = (
        Product.objects.filter(pk=match.product_id).first()
        if match.status == ListingStatus.IN_SYNC
        else None
    )
    add(_warehouse_check(merchant, cart, product, urls))
    add(_alias_check(merchant, cart, sku, match, product, urls))
    add(_minimum_check(cart, product, availability, urls))

    # --- 3. The SKU coming from the warehouse system -------------------------------------------
    wms_check, searched = _wms_search_check(merchant, cart, sku, urls)
    add(wms_check)
    # The product the upload matched; else the one the warehouse search finds (a SKU that the
    # chosen alias misses is still a product the warehouse system may or may not report).
    add(_recently_loaded_check(merchant, cart, product or searched, urls))

    # --- 4. Cart sync ---------------------------------------------------------------------------
    listings = list(CartListing.objects.filter(cart=cart, sku=sku).order_by("external_item_id"))
    listing = listings[0] if listings else None
    if listing is None:
        add(
            Check(
                STEP_CART_SYNC,
                "The SKU is in View Product Sync",
                CheckState.FAILED,
                f"{cart.name} does not list an item with SKU '{sku}'. Make sure the SKU in your "
                "cart matches the SKU in your warehouse system, or the alias code you push with "
                "(codes must match exactly). Upload now with “re-read the cart” refreshes the "
                "list.",
                fix=Link("View Product Sync", urls.product_sync),
            )
        )
        for title in ("Item Filters", "Inventory Enabled", "Last Cart Sync Date", "Cart quantity"):
            add(Check(STEP_CART_SYNC, title, CheckState.NOT_APPLICABLE, "Not listed in the cart."))
        return diagnosis
    add(
        Check(
            STEP_CART_SYNC,
            "The SKU is in View Product Sync",
            CheckState.PASSED,
            f"Listed {len(listings)} time(s) (cart item {listing.external_item_id}"
            + (", and more: every duplicate gets the same number" if len(listings) > 1 else "")
            + ").",
            links=(Link("View Product Sync", urls.product_sync),),
        )
    )
    decision = listing_decide(
        sku=sku,
        is_inventory_enabled=listing.is_inventory_enabled,
        candidates=candidates,
        rules=rules,
        availability=availability,
    )
    add(_item_filter_check(cart, sku, decision, urls))
    if listing.is_inventory_enabled:
        add(Check(STEP_CART_SYNC, "Inventory Enabled", CheckState.PASSED, "YES."))
    else:
        add(
            Check(
                STEP_CART_SYNC,
                "Inventory Enabled",
                CheckState.FAILED,
                "Inventory Enabled is NO: the cart does not track inventory for this item, so "
                "we cannot sync it. Enable inventory tracking for this item in your shopping "
                "cart (your cart's support can tell you how), then upload again.",
                fix=Link("View Product Sync", urls.product_sync),
            )
        )
    if listing.last_synced_at is None:
        add(
            Check(
                STEP_CART_SYNC,
                "Last Cart Sync Date",
                CheckState.FAILED,
                "NEVER: we have not synced this item. "
                + (
                    decision.reason
                    or "Make sure the SKU in your warehouse system, or the alias you selected, "
                    "matches exactly. Use Upload now on the cart page."
                ),
                fix=Link("View Product Sync", urls.product_sync),
            )
        )
    else:
        add(
            Check(
                STEP_CART_SYNC,
                "Last Cart Sync Date",
                CheckState.PASSED,
                f"{listing.last_synced_at:%Y-%m-%d %H:%M:%S} UTC.",
            )
        )
    add(_quantity_check(cart, listing, decision, urls))
    return diagnosis


class _Urls:
    def __init__(self, merchant: Merchant, cart: Cart, sku: str) -> None:
        self.merchant_setup = reverse("merchants:setup", kwargs={"pk": merchant.pk})
        self.merchant = reverse("merchants:detail", kwargs={"pk": merchant.pk})
        self.locations = reverse("warehouses:locations", kwargs={"merchant_pk": merchant.pk})
        self.cart_setup = reverse("carts:setup", kwargs={"pk": cart.pk})
        self.cart = reverse("carts:detail", kwargs={"pk": cart.pk})
        self.item_filters = reverse("carts:item_filters", kwargs={"pk": cart.pk})
        self.product_sync = (
            reverse("carts:product_sync", kwargs={"pk": cart.pk}) + "?" + urlencode({"q": sku})
        )
        self.merchant_pk = merchant.pk

    def warehouse_search(self, warehouse_pk: int, code: str) -> str:
        url = reverse(
            "warehouses:warehouse", kwargs={"merchant_pk": self.merchant_pk, "pk": warehouse_pk}
        )
        return f"{url}?{urlencode({'q': code})}"

    def warehouse(self, warehouse_pk: int) -> str:
        return reverse(
            "warehouses:warehouse", kwargs={"merchant_pk": self.merchant_pk, "pk": warehouse_pk}
        )

    def product(self, product_pk: int) -> str:
        return reverse(
            "warehouses:product", kwargs={"merchant_pk": self.merchant_pk, "pk": product_pk}
        )

    def run(self, run_pk: int) -> str:
        return reverse("sync:run", kwargs={"pk": run_pk})


def _last_run_check(merchant: Merchant, run: SyncRun | None, urls: _Urls) -> Check:
    title = "Last Inventory Run"
    if run is None:
        return Check(
            STEP_MERCHANT,
            title,
            CheckState.FAILED,
            "Last Inventory Run is N/A: the inventory download has never run for this merchant, "
            "so no stock is known. Turn on Synchronization With WMS – Inventory, or use Run "
            "inventory now on the merchant page.",
            fix=Link("Merchant page (Run inventory now)", urls.merchant),
        )
    if not RunState(run.state).is_finished:
        return Check(
            STEP_MERCHANT,
            title,
            CheckState.PASSED,
            f"In progress since {(run.started_at or run.created_at):%Y-%m-%d %H:%M:%S} UTC.",
            links=(Link(f"Run #{run.pk}", urls.run(run.pk)),),
        )
    finished = run.finished_at or run.created_at
    stale_after = timedelta(minutes=merchant.inventory_interval_minutes * STALE_AFTER_INTERVALS)
    if (
        merchant.inventory_sync_mode == InventorySyncMode.SCHEDULED
        and finished < timezone.now() - stale_after
    ):
        return Check(
            STEP_MERCHANT,
            title,
            CheckState.FAILED,
            f"The last inventory download ended {finished:%Y-%m-%d %H:%M:%S} UTC, more than "
            f"{STALE_AFTER_INTERVALS} intervals ago: scheduled downloads are not running"
            + (
                f" (scheduling is paused: {merchant.scheduling_paused_reason})."
                if merchant.scheduling_paused_reason
                else ". Check the Status page of the scheduler."
            ),
            fix=Link("Merchant Edit Setup", urls.merchant_setup),
            links=(Link(f"Run #{run.pk}", urls.run(run.pk)),),
        )
    return Check(
        STEP_MERCHANT,
        title,
        CheckState.PASSED,
        f"{finished:%Y-%m-%d %H:%M:%S} UTC.",
        links=(Link(f"Run #{run.pk}", urls.run(run.pk)),),
    )


def _status_check(run: SyncRun | None, urls: _Urls) -> Check:
    title = "Status of the last inventory download"
    if run is None:
        return Check(STEP_MERCHANT, title, CheckState.NOT_APPLICABLE, "No download yet.")
    if run.state in (RunState.FAILED, RunState.PARTIAL, RunState.HELD):
        return Check(
            STEP_MERCHANT,
            title,
            CheckState.FAILED,
            f"{run.get_state_display()}: {run.message or 'see the run log.'} The levels of "
            "the previous successful download are still used.",
            fix=Link(f"Run #{run.pk}", urls.run(run.pk)),
        )
    return Check(
        STEP_MERCHANT,
        title,
        CheckState.PASSED,
        run.get_state_display() + (f": {run.message}" if run.message else "."),
        links=(Link(f"Run #{run.pk}", urls.run(run.pk)),),
    )


def _warehouse_check(merchant: Merchant, cart: Cart, product: Product | None, urls) -> Check:
    title = "Sync Inventory With Warehouse is set to the correct warehouse"
    levels = (
        list(
            InventoryLevel.objects.filter(product=product)
            .select_related("warehouse")
            .order_by("-warehouse__is_default", "warehouse__name")
        )
        if product
        else []
    )
    warehouse = cart.sync_warehouse
    if warehouse is not None:
        if not warehouse.is_enabled:
            return Check(
                STEP_CART,
                title,
                CheckState.FAILED,
                f"The cart syncs with warehouse {warehouse.name}, which is disabled: a disabled "
                "warehouse counts in no total, so 0 is posted. Enable it in Locations & "
                "Products, or choose another warehouse in the cart's Edit Setup.",
                fix=Link(f"Warehouse {warehouse.name}", urls.warehouse(warehouse.pk)),
                links=(Link("Cart Edit Setup", urls.cart_setup),),
            )
        here = next((level for level in levels if level.warehouse_id == warehouse.pk), None)
        elsewhere = [
            level
            for level in levels
            if level.warehouse_id != warehouse.pk and level.quantity_available > 0
        ]
        if product is not None and (here is None or here.quantity_available == 0) and elsewhere:
            where = ", ".join(f"{lv.warehouse.name}: {lv.quantity_available}" for lv in elsewhere)
            return Check(
                STEP_CART,
                title,
                CheckState.FAILED,
                f"The cart syncs with warehouse {warehouse.name}, where {product.sku} has "
                f"{here.quantity_available if here else 'no'} Quantity Available, but the stock "
                f"is elsewhere ({where}). Choose the right warehouse, or Combine All Locations, "
                "in the cart's Edit Setup.",
                fix=Link("Cart Edit Setup", urls.cart_setup),
            )
        return Check(STEP_CART, title, CheckState.PASSED, f"Warehouse {warehouse.name}.")
    disabled = [lv for lv in levels if not lv.warehouse.is_enabled and lv.quantity_available > 0]
    if disabled:
        where = ", ".join(f"{lv.warehouse.name}: {lv.quantity_available}" for lv in disabled)
        return Check(
            STEP_CART,
            title,
            CheckState.FAILED,
            f"Combine All Locations sums enabled warehouses only; {product.sku} also has stock "
            f"in disabled warehouses ({where}), which is not counted. Enable the warehouse in "
            "Locations & Products if it should count.",
            fix=Link(
                f"Warehouse {disabled[0].warehouse.name}", urls.warehouse(disabled[0].warehouse_id)
            ),
            links=(Link("Locations & Products", urls.locations),),
        )
    return Check(
        STEP_CART,
        title,
        CheckState.PASSED,
        "Combine All Locations: the sum over enabled warehouses.",
    )


def _alias_check(merchant: Merchant, cart: Cart, sku: str, match, product, urls) -> Check:
    title = "Push Inventory Using Alias matches the cart's SKU"
    alias_name = cart.push_alias_name
    using = f"alias {alias_name}" if alias_name else "Master SKU"
    if product is not None:
        return Check(
            STEP_CART,
            title,
            CheckState.PASSED,
            f"By {using}, '{sku}' is product {product.sku}.",
            links=(Link(f"Product {product.sku}", urls.product(product.pk)),),
        )
    if match.status == ListingStatus.AMBIGUOUS:
        return Check(
            STEP_CART,
            title,
            CheckState.NOT_APPLICABLE,
            f"'{sku}' names several products (see step 3): {match.reason}",
        )
    # No match by the chosen alias: say how the code is known, if at all.
    as_sku = Product.objects.filter(merchant=merchant, sku=sku).first()
    as_alias = Alias.objects.filter(merchant=merchant, value=sku).select_related("product").first()
    if as_sku is None and as_alias is None:
        return Check(
            STEP_CART,
            title,
            CheckState.NOT_APPLICABLE,
            f"No product has '{sku}' as its SKU or as any alias code (see step 3).",
        )
    if as_alias is not None and as_alias.name != alias_name:
        known = f"'{sku}' is the {as_alias.name} alias code of product {as_alias.product.sku}"
        better = as_alias.name
    elif as_sku is not None:
        own_code = as_sku.aliases.filter(name=alias_name).values_list("value", flat=True).first()
        known = f"'{sku}' is the Master SKU of product {as_sku.sku}, " + (
            f"whose {alias_name} alias code is '{own_code}'"
            if own_code
            else f"which has no {alias_name} alias"
        )
        better = "Master SKU"
    else:
        return Check(STEP_CART, title, CheckState.NOT_APPLICABLE, match.reason)
    return Check(
        STEP_CART,
        title,
        CheckState.FAILED,
        f"The cart pushes using {using}, but {known}. Products that do not have the chosen "
        f"alias are ignored during inventory sync. Set Push Inventory Using Alias to {better} "
        "in the cart's Edit Setup, or give the product the right alias code.",
        fix=Link("Cart Edit Setup", urls.cart_setup),
    )


def _minimum_check(cart: Cart, product: Product | None, availability, urls) -> Check:
    title = "Minimum Inventory Level does not hold the number back"
    minimum = cart.minimum_inventory_level
    if minimum == 0:
        return Check(STEP_CART, title, CheckState.PASSED, "0: the full inventory is posted.")
    if product is None:
        return Check(STEP_CART, title, CheckState.NOT_APPLICABLE, f"{minimum}; no product matched.")
    available = availability.of(product.pk)
    if available < minimum:
        return Check(
            STEP_CART,
            title,
            CheckState.FAILED,
            f"Minimum Inventory Level is {minimum} and Quantity Available is {available}: below "
            "the minimum, 0 is posted. Set Minimum Inventory Level to 0 in the cart's Edit "
            "Setup to always post the full inventory amount.",
            fix=Link("Cart Edit Setup", urls.cart_setup),
        )
    return Check(
        STEP_CART,
        title,
        CheckState.PASSED,
        f"{minimum}; Quantity Available {available} is at or above it, so it is posted in full.",
    )


def _wms_search_check(
    merchant: Merchant, cart: Cart, sku: str, urls
) -> tuple[Check, Product | None]:
    """The check, and the product found when exactly one is."""
    title = "Searching the SKU in the warehouse gives exactly one result"
    warehouse = cart.sync_warehouse or merchant.warehouses.filter(is_default=True).first()
    by_sku = list(Product.objects.filter(merchant=merchant, sku=sku))
    by_alias = list(Alias.objects.filter(merchant=merchant, value=sku).select_related("product"))
    found = {p.pk: f"{p.sku} (by its SKU)" for p in by_sku}
    products = {p.pk: p for p in by_sku}
    for alias in by_alias:
        found.setdefault(alias.product_id, f"{alias.product.sku} (by its {alias.name} alias)")
        products.setdefault(alias.product_id, alias.product)
    search = Link(f"Search '{sku}' in {warehouse.name}", urls.warehouse_search(warehouse.pk, sku))
    if not found:
        return Check(
            STEP_WMS,
            title,
            CheckState.FAILED,
            f"No product has the SKU or alias code '{sku}': the SKU is missing from the "
            "warehouse system (or is spelled differently there). Make sure your WMS has the "
            "correct SKUs loaded; codes must match exactly.",
            fix=search,
        ), None
    if len(found) > 1:
        return Check(
            STEP_WMS,
            title,
            CheckState.FAILED,
            f"'{sku}' finds {len(found)} products: {', '.join(sorted(found.values()))}. An "
            "alias code must reference one product only: make sure your WMS has a single entry "
            "for each product, and remove the duplicate alias code.",
            fix=search,
        ), None
    (product,) = products.values()
    return Check(
        STEP_WMS,
        title,
        CheckState.PASSED,
        f"One product: {next(iter(found.values()))}.",
        links=(search,),
    ), product


def _recently_loaded_check(merchant: Merchant, cart: Cart, product: Product | None, urls) -> Check:
    title = "The warehouse system reported it recently"
    if product is None:
        return Check(STEP_WMS, title, CheckState.NOT_APPLICABLE, "No single product matched.")
    if product.not_reported_since is not None:
        return Check(
            STEP_WMS,
            title,
            CheckState.FAILED,
            f"The warehouse system has not reported {product.sku} since "
            f"{product.not_reported_since:%Y-%m-%d %H:%M:%S} UTC; its last levels are kept but "
            "may be out of date. Make sure your WMS still has this SKU.",
            fix=Link(f"Product {product.sku}", urls.product(product.pk)),
        )
    level_filter = Q(product=product)
    if cart.sync_warehouse_id:
        level_filter &= Q(warehouse_id=cart.sync_warehouse_id)
    latest = InventoryLevel.objects.filter(level_filter).order_by("-loaded_at").first()
    if latest is None:
        return Check(
            STEP_WMS,
            title,
            CheckState.FAILED,
            f"{product.sku} has no inventory level"
            + (f" in {cart.sync_warehouse.name}" if cart.sync_warehouse_id else "")
            + ": the warehouse system reports no stock for it there, so 0 is posted.",
            fix=Link(f"Product {product.sku}", urls.product(product.pk)),
        )
    return Check(
        STEP_WMS,
        title,
        CheckState.PASSED,
        f"Last loaded {latest.loaded_at:%Y-%m-%d %H:%M:%S} UTC.",
        links=(Link(f"Product {product.sku}", urls.product(product.pk)),),
    )


def _item_filter_check(cart: Cart, sku: str, decision, urls) -> Check:
    title = "Item Filters let the SKU through"
    if cart.item_filter_mode == ItemFilterMode.OFF:
        return Check(STEP_CART_SYNC, title, CheckState.PASSED, "Item Filters are off.")
    if decision.status == ListingStatus.FILTERED:
        return Check(
            STEP_CART_SYNC,
            title,
            CheckState.FAILED,
            decision.reason + " Change the list or the mode on the Item Filters page.",
            fix=Link("Item Filters", urls.item_filters),
        )
    return Check(
        STEP_CART_SYNC, title, CheckState.PASSED, f"{cart.get_item_filter_mode_display()}."
    )


def _quantity_check(cart: Cart, listing: CartListing, decision, urls) -> Check:
    title = "The cart holds the right number"
    if decision.quantity is None:
        return Check(
            STEP_CART_SYNC,
            title,
            CheckState.NOT_APPLICABLE,
            f"Not synced: {decision.reason}",
        )
    if listing.cart_quantity == decision.quantity:
        return Check(
            STEP_CART_SYNC,
            title,
            CheckState.PASSED,
            f"The cart holds {listing.cart_quantity}, as it should."
            + (f" ({decision.reason})" if decision.reason else ""),
        )
    return Check(
        STEP_CART_SYNC,
        title,
        CheckState.FAILED,
        f"The cart holds {_quantity_text(listing.cart_quantity)}; it should hold "
        f"{decision.quantity}. "
        + (
            "The next upload posts it."
            if cart.upload_mode != UploadMode.OFF
            else "Inventory Upload Service is Off."
        ),
        fix=Link("Cart page (Upload now)", urls.cart),
    )


def _quantity_text(quantity: int | None) -> str:
    return "no known quantity" if quantity is None else str(quantity)
