"""API shapes of warehouses, products, aliases and inventory levels."""

from rest_framework import serializers

from warehouses.models import Alias, InventoryLevel, Product, Warehouse


class WarehouseSerializer(serializers.ModelSerializer):
    """A warehouse. `is_default` can only be set to true (the old Default loses it)."""

    name = serializers.CharField(max_length=200, trim_whitespace=True)

    class Meta:
        model = Warehouse
        fields = [
            "id",
            "merchant",
            "external_code",
            "name",
            "is_default",
            "is_enabled",
            "last_loaded_at",
        ]
        read_only_fields = ["id", "merchant", "external_code", "last_loaded_at"]

    def validate_is_default(self, value: bool) -> bool:
        if self.instance is not None and self.instance.is_default and not value:
            raise serializers.ValidationError(
                "A merchant always has one Default warehouse: make another one the Default."
            )
        return value


class ProductAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alias
        fields = ["name", "value"]


class ProductLevelSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.external_code", read_only=True)
    warehouse_is_enabled = serializers.BooleanField(source="warehouse.is_enabled", read_only=True)

    class Meta:
        model = InventoryLevel
        fields = [
            "warehouse",
            "warehouse_code",
            "warehouse_is_enabled",
            "quantity_on_hand",
            "quantity_available",
            "quantity_allocated",
            "quantity_on_hold",
            "wms_updated_at",
            "loaded_at",
        ]


class ProductSerializer(serializers.ModelSerializer):
    """A product with its aliases and its level in each warehouse. `quantity_available` is the
    sum over enabled warehouses (what Combine All Locations uploads)."""

    aliases = ProductAliasSerializer(many=True, read_only=True)
    levels = ProductLevelSerializer(many=True, read_only=True)
    quantity_available = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "merchant",
            "sku",
            "name",
            "last_reported_at",
            "not_reported_since",
            "quantity_available",
            "aliases",
            "levels",
        ]

    def get_quantity_available(self, product: Product) -> int:
        return sum(
            level.quantity_available for level in product.levels.all() if level.warehouse.is_enabled
        )


class AliasSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = Alias
        fields = ["id", "merchant", "product", "sku", "name", "value", "created_at"]


class LevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    warehouse_code = serializers.CharField(source="warehouse.external_code", read_only=True)
    warehouse_is_enabled = serializers.BooleanField(source="warehouse.is_enabled", read_only=True)

    class Meta:
        model = InventoryLevel
        fields = [
            "id",
            "product",
            "sku",
            "warehouse",
            "warehouse_code",
            "warehouse_is_enabled",
            "quantity_on_hand",
            "quantity_available",
            "quantity_allocated",
            "quantity_on_hold",
            "wms_updated_at",
            "loaded_at",
        ]
