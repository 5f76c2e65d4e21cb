"""Forms of the Locations & Products pages."""

from django import forms

from warehouses.models import Warehouse


class LevelSearchForm(forms.Form):
    q = forms.CharField(label="SKU or alias code", required=False, max_length=255)


class WarehouseEditForm(forms.ModelForm):
    class Meta:
        model = Warehouse
        fields = ["name", "is_enabled"]
        labels = {"name": "Warehouse name", "is_enabled": "Enabled"}


class ProductAddForm(forms.Form):
    sku = forms.CharField(label="SKU", max_length=255)
    name = forms.CharField(label="Product name", max_length=255, required=False)


class AliasAddForm(forms.Form):
    """Add Alias Code."""

    name = forms.CharField(
        label="Alias name", max_length=100, help_text="For example UPC, ALT_CODE."
    )
    value = forms.CharField(label="Alias code", max_length=255)


class AliasImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: SKU, Alias name, Alias code (a header row is optional). Nothing is "
        "imported when a line has an error.",
    )


class InventoryUploadForm(forms.Form):
    """A CSV file of stock for the CSV feed (the columns are those of
    `warehouses.connectors.csv_feed`)."""

    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma-separated, with a header row. Nothing is applied when a line "
        "has an error.",
    )
