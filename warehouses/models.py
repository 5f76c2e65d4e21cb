"""Warehouses, products, aliases and inventory levels: what the warehouse system reports."""

from django.db import models
from django.db.models import Q

from integration_manager.models import TimeStampedModel, tenant_manager
from merchants.models import Merchant


def _not_negative(field: str, model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 0}),
        name=f"{model}_{field}_not_negative",
        violation_error_message=f"{field.replace('_', ' ').capitalize()} cannot be negative.",
    )


class Warehouse(TimeStampedModel):
    """A location of a merchant's stock, identified by the warehouse system's own code.

    Created by the first download that reports its code. Exactly one warehouse of a merchant is
    the Default (records without a warehouse code go there); it is created with the merchant and
    the database refuses to delete it (a trigger, see the migration). A disabled warehouse counts
    in no total.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="warehouses")
    external_code = models.CharField(
        "Warehouse code",
        max_length=128,
        blank=True,
        help_text="The warehouse system's own id or name for this location.",
    )
    name = models.CharField("Name", max_length=200)
    is_default = models.BooleanField("Default", default=False)
    is_enabled = models.BooleanField(
        "Enabled", default=True, help_text="A disabled warehouse is excluded from every total."
    )
    last_loaded_at = models.DateTimeField("Last load", null=True, blank=True)

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "external_code"],
                name="warehouse_code_unique_per_merchant",
                violation_error_message="This merchant already has a warehouse with that code.",
            ),
            models.UniqueConstraint(
                fields=["merchant"],
                condition=Q(is_default=True),
                name="warehouse_one_default_per_merchant",
                violation_error_message="A merchant has exactly one Default warehouse.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    """A product of a merchant, keyed by its SKU (the warehouse system's master SKU)."""

    # Indexed by the (merchant, SKU) unique constraint.
    merchant = models.ForeignKey(
        Merchant, on_delete=models.CASCADE, related_name="products", db_index=False
    )
    sku = models.CharField("SKU", max_length=255)
    name = models.CharField(max_length=255, blank=True, default="")
    last_reported_at = models.DateTimeField(null=True, blank=True)
    not_reported_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when a download no longer reports this product; its levels are kept.",
    )

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "sku"],
                name="product_sku_unique_per_merchant",
                violation_error_message="This merchant already has a product with that SKU.",
            ),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_empty"),
        ]

    def __str__(self) -> str:
        return self.sku


class Alias(models.Model):
    """Another code for a product (`UPC`, `ALT_CODE`, `Amazon Seller SKU`, ...).

    Names are free-form and shared across products. A value identifies exactly one product within
    the merchant (the database enforces it, hence the merchant column next to the product).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="aliases")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField("Alias name", max_length=100)
    value = models.CharField("Alias code", max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = tenant_manager("merchant")

    class Meta:
        ordering = ["name", "value"]
        verbose_name_plural = "aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["merchant", "value"],
                name="alias_value_unique_per_merchant",
                violation_error_message="This alias code already identifies another product.",
            ),
            models.UniqueConstraint(
                fields=["product", "name"], name="alias_one_value_per_name_per_product"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="alias_name_not_empty"),
            models.CheckConstraint(condition=~Q(value=""), name="alias_value_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.value}"


class InventoryLevel(models.Model):
    """A product's stock in one warehouse, as the warehouse system last reported it.

    Sync always uses `quantity_available`. `loaded_at` is when we loaded the current figure;
    `wms_updated_at` is the warehouse system's own timestamp for it.
    """

    # Indexed by the (product, warehouse) unique constraint and the (warehouse, product) index.
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="levels", db_index=False
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.CASCADE, related_name="levels", db_index=False
    )
    quantity_on_hand = models.IntegerField("Quantity On Hand", default=0)
    quantity_available = models.IntegerField("Quantity Available", default=0)
    quantity_allocated = models.IntegerField("Quantity Allocated", null=True, blank=True)
    quantity_on_hold = models.IntegerField("Quantity On Hold", null=True, blank=True)
    wms_updated_at = models.DateTimeField("WMS time", null=True, blank=True)
    loaded_at = models.DateTimeField("Loaded")

    objects = tenant_manager("product__merchant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="level_unique_per_product_warehouse"
            ),
            _not_negative("quantity_on_hand", "level"),
            _not_negative("quantity_available", "level"),
            _not_negative("quantity_allocated", "level"),
            _not_negative("quantity_on_hold", "level"),
        ]
        indexes = [models.Index(fields=["warehouse", "product"], name="level_warehouse_product")]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.quantity_available}"


class InventoryLevelChange(models.Model):
    """One row per change of a level: the history behind the product page's chart."""

    # Indexed by the (product, warehouse, recorded_at) index.
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="level_changes", db_index=False
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="level_changes")
    quantity_on_hand = models.IntegerField(default=0)
    quantity_available = models.IntegerField(default=0)
    recorded_at = models.DateTimeField()
    run = models.ForeignKey(
        "sync.SyncRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = tenant_manager("product__merchant")

    class Meta:
        constraints = [
            _not_negative("quantity_on_hand", "levelchange"),
            _not_negative("quantity_available", "levelchange"),
        ]
        indexes = [
            models.Index(
                fields=["product", "warehouse", "recorded_at"], name="levelchange_product_time"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.product_id}@{self.warehouse_id} {self.recorded_at}: {self.quantity_available}"
        )
