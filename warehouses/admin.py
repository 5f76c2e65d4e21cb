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
    list_display = ("product", "warehouse", "quantity_available", "quantity_on_hand", "loaded_at")
    list_select_related = ("product", "warehouse")
    raw_id_fields = ("product", "warehouse")
