from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from integration_manager.admin import ConnectionAdminForm
from merchants.models import Membership, Merchant, User
from merchants.services import connection_secrets_update, merchant_create, merchant_delete


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["merchant"]


@admin.register(User)
class IntegrationUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("is_support_agent",)}))
    list_display = ("username", "email", "is_support_agent", "is_superuser", "is_active")
    list_filter = ("is_support_agent", "is_superuser", "is_active")
    inlines = [MembershipInline]


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    form = ConnectionAdminForm
    list_display = ("name", "inventory_sync_mode", "connector_key")
    search_fields = ("name",)
    exclude = ("secrets_ciphertext",)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            fields = {
                field: form.cleaned_data[field]
                for field in form.cleaned_data
                if field not in ("name", "new_secrets")
            }
            obj = merchant_create(name=form.cleaned_data["name"], **fields)
            form.instance = obj
        if form.cleaned_data["new_secrets"]:
            connection_secrets_update(connection=obj, secrets=form.cleaned_data["new_secrets"])

    def delete_model(self, request, obj):
        merchant_delete(merchant=obj)

    def delete_queryset(self, request, queryset):
        for merchant in queryset:
            merchant_delete(merchant=merchant)
