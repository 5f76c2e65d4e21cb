from django.contrib import admin

from carts.models import Cart, CartListing, ItemFilter
from integration_manager.admin import ConnectionAdminForm
from merchants.services import connection_secrets_update


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ("name", "merchant", "upload_mode", "connector_key")
    list_select_related = ("merchant",)
    exclude = ("secrets_ciphertext",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.cleaned_data["new_secrets"]:
            connection_secrets_update(connection=obj, secrets=form.cleaned_data["new_secrets"])


@admin.register(CartListing)
class CartListingAdmin(admin.ModelAdmin):
    list_display = ("sku", "cart", "status", "cart_quantity", "posted_quantity", "last_synced_at")
    list_select_related = ("cart",)
    raw_id_fields = ("product",)


admin.site.register(ItemFilter)
