"""API shapes of carts (their Edit Setup settings) and their listings (View Product Sync)."""

from rest_framework import serializers

from carts.models import Cart, CartListing
from warehouses.models import Alias, Warehouse


class CartSerializer(serializers.ModelSerializer):
    """A cart and its settings, validated like its Edit Setup page: `sync_warehouse` null is
    Combine All Locations and must otherwise be one of the merchant's warehouses;
    `push_alias_name` "" is Master SKU and must otherwise be an alias name the merchant has."""

    sync_warehouse = serializers.PrimaryKeyRelatedField(
        queryset=Warehouse.objects.all(), allow_null=True, required=False
    )
    push_alias_name = serializers.CharField(
        max_length=100, allow_blank=True, required=False, trim_whitespace=True
    )

    class Meta:
        model = Cart
        fields = [
            "id",
            "merchant",
            "name",
            "connector_key",
            "upload_mode",
            "upload_interval_minutes",
            "sync_warehouse",
            "push_alias_name",
            "minimum_inventory_level",
            "item_filter_mode",
            "reconcile_interval_minutes",
            "failure_alert_threshold",
            "last_reconciled_at",
            "scheduling_paused_reason",
        ]
        read_only_fields = [
            "id",
            "merchant",
            "connector_key",
            "last_reconciled_at",
            "scheduling_paused_reason",
        ]
        extra_kwargs = {
            "name": {"validators": []},  # uniqueness is checked by the service (full_clean)
            "upload_interval_minutes": {"min_value": 1, "max_value": 10080},
            "minimum_inventory_level": {"min_value": 0, "max_value": 1_000_000_000},
            "reconcile_interval_minutes": {"min_value": 5, "max_value": 2_000_000_000},
            "failure_alert_threshold": {"min_value": 1, "max_value": 32767},
        }

    def validate_sync_warehouse(self, warehouse: Warehouse | None) -> Warehouse | None:
        if warehouse is not None and warehouse.merchant_id != self.instance.merchant_id:
            raise serializers.ValidationError("Not one of this merchant's warehouses.")
        return warehouse

    def validate_push_alias_name(self, name: str) -> str:
        name = name.strip()
        if not name or name == self.instance.push_alias_name:
            return name
        if not Alias.objects.filter(merchant_id=self.instance.merchant_id, name=name).exists():
            raise serializers.ValidationError(
                f'The merchant has no alias named {name!r}. Use "" for Master SKU.'
            )
        return name


class ListingSerializer(serializers.ModelSerializer):
    """One row of View Product Sync. `last_synced_at` null shows as NEVER on the page."""

    product_sku = serializers.CharField(source="product.sku", read_only=True, allow_null=True)

    class Meta:
        model = CartListing
        fields = [
            "id",
            "cart",
            "sku",
            "external_item_id",
            "external_parent_id",
            "title",
            "is_inventory_enabled",
            "cart_quantity",
            "posted_quantity",
            "product",
            "product_sku",
            "status",
            "reason",
            "last_synced_at",
            "consecutive_failures",
        ]
