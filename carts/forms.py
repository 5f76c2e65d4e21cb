"""Forms of the cart pages: Edit Setup, Item Filters, and the searches of the list pages."""

from typing import Any

from django import forms

from carts.connectors import CART_CONNECTORS
from carts.models import Cart, ItemFilterMode, ListingStatus
from merchants.forms import ConnectionFieldsMixin
from warehouses.models import Alias, Warehouse

MASTER_SKU_LABEL = "Master SKU"
COMBINE_ALL_LOCATIONS_LABEL = "Combine All Locations"


class WarehouseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, warehouse: Warehouse) -> str:
        suffix = "" if warehouse.is_enabled else " (disabled: counts as 0)"
        code = f" [{warehouse.external_code}]" if warehouse.external_code else ""
        return f"{warehouse.name}{code}{suffix}"


class CartSetupForm(ConnectionFieldsMixin, forms.ModelForm):
    """Carts > Select Your Cart > Edit Setup."""

    connector_registry = CART_CONNECTORS
    connector_label = "Cart platform"

    sync_warehouse = WarehouseChoiceField(
        label="Sync Inventory With Warehouse",
        queryset=Warehouse.objects.none(),
        required=False,
        empty_label=COMBINE_ALL_LOCATIONS_LABEL,
        help_text="Combine All Locations: the sum over enabled warehouses. The warehouses list "
        "is downloaded after the first successful sync with the warehouse system.",
    )
    push_alias_name = forms.ChoiceField(
        label="Push Inventory Using Alias",
        required=False,
        help_text="The code matched against the cart's SKUs. Products that do not have the "
        "chosen alias are ignored during inventory sync.",
    )

    class Meta:
        model = Cart
        fields = [
            "name",
            "upload_mode",
            "upload_interval_minutes",
            "sync_warehouse",
            "push_alias_name",
            "minimum_inventory_level",
            "reconcile_interval_minutes",
            "failure_alert_threshold",
        ]
        labels = {"name": "Cart name"}
        widgets = {"upload_mode": forms.RadioSelect}
        help_texts = {
            "minimum_inventory_level": "When Quantity Available is below this number, 0 is "
            "posted; at or above it, the full number. Set it to 0 to always post the full "
            "inventory amount.",
        }

    def __init__(self, *args, connector_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        cart = self.instance
        self.fields["sync_warehouse"].queryset = Warehouse.objects.filter(
            merchant_id=cart.merchant_id
        ).order_by("-is_default", "name")
        names = set(
            Alias.objects.filter(merchant_id=cart.merchant_id)
            .order_by()
            .values_list("name", flat=True)
            .distinct()
        )
        if cart.push_alias_name:
            names.add(cart.push_alias_name)
        self.fields["push_alias_name"].choices = [("", MASTER_SKU_LABEL)] + [
            (name, name) for name in sorted(names)
        ]
        self.add_connection_fields(
            current_key=connector_key if connector_key is not None else cart.connector_key,
            parameters=cart.connection_parameters or {},
        )

    def settings(self) -> dict[str, Any]:
        """Keyword arguments for `cart_settings_update`."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields} | (
            self.connection_settings()
        )


class ItemFilterModeForm(forms.Form):
    item_filter_mode = forms.ChoiceField(
        label="Item Filters", choices=ItemFilterMode.choices, widget=forms.RadioSelect
    )


class ItemFilterAddForm(forms.Form):
    sku = forms.CharField(label="SKU to add", max_length=255)


class ProductSyncSearchForm(forms.Form):
    """View Product Sync: browse or search a SKU, filter by status."""

    q = forms.CharField(label="SKU", required=False, max_length=255)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *ListingStatus.choices]
    )
