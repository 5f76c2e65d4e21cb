from django.contrib import admin

from warehouses.models import Alias, InventoryLevel, Product, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("name", "merchant", "external_code", "is_default", "is_enabled")
    list_filter = ("is_default", "is_enabled")
    list_select_related = ("merchant",)


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 0
    exclude = ("merchant",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "merchant", "not_reported_since")
    search_fields = ("sku",)
    list_select_related = ("merchant",)


@admin.register(InventoryLevel)
class InventoryLevelAdmin(admin.ModelAdmin):
    """Read-only: a level is the warehouse system's figure, written by the downloads alone (a
    download compares with the levels it copied while reading, trusting no one else wrote them;
    a hand edit would also be overwritten by the next change)."""

    list_display = ("product", "warehouse", "quantity_available", "quantity_on_hand", "loaded_at")
    list_select_related = ("product", "warehouse")
    raw_id_fields = ("product", "warehouse")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
