"""Carts (a merchant's order sources), the items they list, and their Item Filters."""

from django.db import models
from django.db.models import Q

from integration_manager.models import Connection, TimeStampedModel, tenant_manager
from merchants.models import Merchant
from warehouses.models import Product, Warehouse


class UploadMode(models.TextChoices):
    OFF = "off", "Off"
    SCHEDULED = "scheduled", "Scheduled"
    AUTOMATIC = "automatic", "Automatic"


class ItemFilterMode(models.TextChoices):
    OFF = "off", "Off (sync every SKU)"
    WHITELIST = "whitelist", "Whitelist (sync only the listed SKUs)"
    BLACKLIST = "blacklist", "Blacklist (sync every SKU except the listed ones)"


class Cart(TimeStampedModel, Connection):
    """An order source of a merchant (a shopping cart or marketplace) and its upload settings.

    `sync_warehouse` empty means Combine All Locations (the sum over enabled warehouses);
    `push_alias_name` empty means Master SKU.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="carts")
    name = models.CharField(max_length=200)
    upload_mode = models.CharField(
        "Inventory Upload Service",
        max_length=16,
        choices=UploadMode.choices,
        default=UploadMode.OFF,
        help_text="Off: never upload. Scheduled: every N minutes. Automatic: as soon as new "
        "warehouse data arrives.",
    )
    upload_interval_minutes = models.PositiveIntegerField("Upload every (minutes)", default=15)
    sync_warehouse = models.ForeignKey(
        Warehouse,
        verbose_name="Sync Inventory With Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: Combine All Locations (the sum over enabled warehouses).",
    )
    push_alias_name = models.CharField(
        "Push Inventory Using Alias",
        max_length=100,
        blank=True,
        default="",
        help_text="Empty: Master SKU. Otherwise the alias name whose codes match the cart's SKUs; "
        "products without that alias are skipped.",
    )
    minimum_inventory_level = models.PositiveIntegerField(
        "Minimum Inventory Level",
        default=0,
        help_text="When Quantity Available is below this, post 0. 0 turns it off.",
    )
    item_filter_mode = models.CharField(
        "Item Filters", max_length=16, choices=ItemFilterMode.choices, default=ItemFilterMode.OFF
    )
    reconcile_interval_minutes = models.PositiveIntegerField(
        "Re-read the cart every (minutes)",
        default=1440,
        help_text="How often the whole cart is read back to find quantities edited in the cart.",
    )
    failure_alert_threshold = models.PositiveSmallIntegerField(
        "Alert after this many consecutive failures of an item", default=3
    )
    last_reconciled_at = models.DateTimeField(null=True, blank=True, editable=False)
    reconcile_requested = models.BooleanField(default=False, editable=False)
    next_upload_at = models.DateTimeField(null=True, blank=True, editable=False)
    scheduling_paused_reason = models.TextField(blank=True, default="", editable=False)

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["merchant__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "name"], name="cart_name_unique"),
            models.CheckConstraint(
                condition=Q(upload_interval_minutes__gte=1, upload_interval_minutes__lte=10080),
                name="cart_upload_interval_range",
                violation_error_message="The upload interval must be 1 to 10080 minutes.",
            ),
            models.CheckConstraint(
                condition=Q(reconcile_interval_minutes__gte=5),
                name="cart_reconcile_interval_min",
            ),
            models.CheckConstraint(
                condition=Q(minimum_inventory_level__gte=0), name="cart_minimum_level_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(failure_alert_threshold__gte=1), name="cart_failure_threshold_min"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="cart_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<Cart {self.pk} {self.name!r} connector={self.connector_key!r}>"


class ListingStatus(models.TextChoices):
    PENDING = "pending", "Not synced yet"
    IN_SYNC = "in_sync", "In sync"
    UPDATED = "updated", "Updated"
    NOT_TRACKED = "not_tracked", "Inventory not tracked in the cart"
    NO_MATCH = "no_match", "No product matches this SKU"
    AMBIGUOUS = "ambiguous", "Several products match this SKU"
    FILTERED = "filtered", "Excluded by Item Filters"
    FAILED = "failed", "Failed"
    REMOVED = "removed", "No longer in the cart"

    @property
    def badge(self) -> str:
        return _LISTING_BADGES[self]


_LISTING_BADGES = {
    ListingStatus.PENDING: "grey",
    ListingStatus.IN_SYNC: "green",
    ListingStatus.UPDATED: "green",
    ListingStatus.NOT_TRACKED: "amber",
    ListingStatus.NO_MATCH: "amber",
    ListingStatus.AMBIGUOUS: "red",
    ListingStatus.FILTERED: "grey",
    ListingStatus.FAILED: "red",
    ListingStatus.REMOVED: "grey",
}


class CartListing(models.Model):
    """One item the cart reports: what View Product Sync shows.

    `cart_quantity` is what the cart last reported or confirmed (it may be negative: carts allow
    overselling); `posted_quantity` is what we last posted. `last_synced_at` empty shows NEVER.
    """

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="listings")
    external_item_id = models.CharField("Cart item id", max_length=255)
    external_parent_id = models.CharField("Cart parent id", max_length=255, blank=True)
    sku = models.CharField("SKU", max_length=255, blank=True)
    title = models.CharField(max_length=500, blank=True, default="")
    is_inventory_enabled = models.BooleanField("Inventory Enabled", default=True)
    cart_quantity = models.IntegerField("Cart quantity", null=True, blank=True)
    posted_quantity = models.IntegerField("Posted quantity", null=True, blank=True)
    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="listings"
    )
    status = models.CharField(
        max_length=16, choices=ListingStatus.choices, default=ListingStatus.PENDING
    )
    reason = models.TextField(blank=True, default="")
    last_synced_at = models.DateTimeField("Last Cart Sync Date", null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = tenant_manager("cart__merchant")

    class Meta:
        ordering = ["sku", "external_item_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "external_item_id"], name="listing_unique_per_cart_item"
            ),
            models.CheckConstraint(
                condition=Q(posted_quantity__gte=0), name="listing_posted_quantity_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(consecutive_failures__gte=0), name="listing_failures_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(external_item_id=""), name="listing_item_id_not_empty"
            ),
        ]
        indexes = [
            models.Index(fields=["cart", "sku"], name="listing_cart_sku"),
            models.Index(fields=["cart", "status"], name="listing_cart_status"),
        ]

    def __str__(self) -> str:
        return f"{self.sku or '(no SKU)'} [{self.external_item_id}]"

    @property
    def status_badge(self) -> str:
        return ListingStatus(self.status).badge


class ItemFilter(models.Model):
    """A SKU on a cart's whitelist or blacklist (the cart's `item_filter_mode` says which)."""

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="item_filters")
    sku = models.CharField("SKU", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = tenant_manager("cart__merchant")

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "sku"], name="item_filter_unique_per_cart"),
            models.CheckConstraint(condition=~Q(sku=""), name="item_filter_sku_not_empty"),
        ]

    def __str__(self) -> str:
        return self.sku
