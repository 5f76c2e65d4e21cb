"""Locations & Products: the warehouses, a warehouse's levels, Add/View Products, the product
page (aliases, levels, listings, history) and the alias CSV import. Every page is under
/merchants/<merchant_pk>/ and looks everything up through the merchant (another merchant's id
is a 404)."""

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from integration_manager.connector_errors import ConnectorError
from integration_manager.pagination import page_of
from integration_manager.views import MerchantScopedMixin
from merchants.forms import validation_error_add
from sync.services.scheduling import download_request
from warehouses.charts import history_chart
from warehouses.connectors.csv_feed import CsvFeedConnector, csv_upload_connector, csv_upload_save
from warehouses.forms import (
    AliasAddForm,
    AliasImportForm,
    InventoryUploadForm,
    LevelSearchForm,
    ProductAddForm,
    WarehouseEditForm,
)
from warehouses.selectors import (
    code_match,
    product_history,
    product_rows,
    products_for_page,
    warehouse_levels,
    warehouse_list,
    warehouses_of,
)
from warehouses.services import (
    alias_add,
    alias_delete,
    alias_import_csv,
    product_create,
    warehouse_update,
)

ALIAS_IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _product_url_base(merchant) -> str:
    """Product pages are <this><pk>/: reversed once per page rather than once per row."""
    return reverse("warehouses:products", kwargs={"merchant_pk": merchant.pk})


class LocationsView(MerchantScopedMixin, TemplateView):
    """Merchant → Locations & Products: Default first, disabled greyed, counts, last load."""

    template_name = "warehouses/locations.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(warehouses=warehouse_list(merchant=self.merchant), **kwargs)


class WarehouseLevelsView(MerchantScopedMixin, TemplateView):
    """One warehouse's levels, each with when it was loaded; searchable by SKU or alias code."""

    template_name = "warehouses/warehouse_levels.html"

    def get_context_data(self, **kwargs):
        warehouse = get_object_or_404(self.merchant.warehouses, pk=self.kwargs["pk"])
        query = self.request.GET.get("q", "").strip()
        match = code_match(merchant=self.merchant, query=query) if query else None
        levels = warehouse_levels(warehouse=warehouse, query=query, match=match)
        return super().get_context_data(
            warehouse=warehouse,
            query=query,
            match=match,
            search_form=LevelSearchForm(initial={"q": query}),
            edit_form=WarehouseEditForm(instance=warehouse),
            product_url_base=_product_url_base(self.merchant),
            page_obj=page_of(levels, self.request.GET.get("page")),
            **kwargs,
        )


class WarehouseEditView(MerchantScopedMixin, View):
    """Rename a warehouse, enable or disable it (POST)."""

    http_method_names = ["post"]

    def post(self, request, merchant_pk: int, pk: int):
        warehouse = get_object_or_404(self.merchant.warehouses, pk=pk)
        form = WarehouseEditForm(request.POST, instance=warehouse)
        if form.is_valid():
            try:
                warehouse_update(
                    warehouse=warehouse,
                    name=form.cleaned_data["name"],
                    is_enabled=form.cleaned_data["is_enabled"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                state = "enabled" if warehouse.is_enabled else "disabled"
                messages.success(request, f"Warehouse {warehouse.name} saved ({state}).")
        else:
            messages.error(request, "Enter a warehouse name.")
        return redirect(request.POST.get("next") or "warehouses:locations", merchant_pk=merchant_pk)


class ProductListView(MerchantScopedMixin, TemplateView):
    """Add/View Products: every product's Quantity Available in each warehouse and in total
    (no per-record load time: that is on each warehouse's page)."""

    template_name = "warehouses/product_list.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        match = code_match(merchant=self.merchant, query=query) if query else None
        warehouses = list(warehouses_of(merchant=self.merchant))
        page = page_of(
            products_for_page(merchant=self.merchant, query=query, match=match),
            self.request.GET.get("page"),
        )
        return super().get_context_data(
            query=query,
            match=match,
            search_form=LevelSearchForm(initial={"q": query}),
            add_form=kwargs.pop("add_form", None) or ProductAddForm(),
            product_url_base=_product_url_base(self.merchant),
            warehouses=warehouses,
            page_obj=page,
            rows=product_rows(products=page.rows, warehouses=warehouses),
            **kwargs,
        )

    def post(self, request, merchant_pk: int):
        """Add a product by hand."""
        form = ProductAddForm(request.POST)
        if form.is_valid():
            try:
                product = product_create(merchant=self.merchant, **form.cleaned_data)
            except ValidationError as error:
                validation_error_add(form, error)
            else:
                messages.success(request, f"Product {product.sku} added.")
                return redirect("warehouses:product", merchant_pk=merchant_pk, pk=product.pk)
        return self.render_to_response(self.get_context_data(add_form=form), status=400)


class ProductDetailView(MerchantScopedMixin, TemplateView):
    """A product: its aliases (Add Alias Code), its level per warehouse, its listings per cart,
    and its Quantity Available over time."""

    template_name = "warehouses/product_detail.html"

    def get_context_data(self, **kwargs):
        product = get_object_or_404(self.merchant.products, pk=self.kwargs["pk"])
        return super().get_context_data(
            product=product,
            aliases=product.aliases.all(),
            alias_form=kwargs.pop("alias_form", None) or AliasAddForm(),
            levels=product.levels.select_related("warehouse").order_by(
                "-warehouse__is_default", "warehouse__name"
            ),
            listings=product.listings.select_related("cart").order_by("cart__name", "sku"),
            chart=history_chart(product_history(product=product), now=timezone.now()),
            **kwargs,
        )

    def post(self, request, merchant_pk: int, pk: int):
        """Add Alias Code."""
        product = get_object_or_404(self.merchant.products, pk=pk)
        form = AliasAddForm(request.POST)
        if form.is_valid():
            try:
                alias = alias_add(product=product, **form.cleaned_data)
            except ValidationError as error:
                validation_error_add(form, error)
            else:
                messages.success(request, f"Alias {alias.name} '{alias.value}' added.")
                return redirect("warehouses:product", merchant_pk=merchant_pk, pk=pk)
        return self.render_to_response(self.get_context_data(alias_form=form), status=400)


class AliasDeleteView(MerchantScopedMixin, View):
    http_method_names = ["post"]

    def post(self, request, merchant_pk: int, pk: int, alias_pk: int):
        product = get_object_or_404(self.merchant.products, pk=pk)
        alias = get_object_or_404(product.aliases, pk=alias_pk)
        alias_delete(alias=alias)
        messages.success(request, f"Alias {alias.name} '{alias.value}' removed.")
        return redirect("warehouses:product", merchant_pk=merchant_pk, pk=pk)


class AliasImportView(MerchantScopedMixin, View):
    """Import aliases from a CSV file; every error names its line, and nothing is imported
    when there is one."""

    template_name = "warehouses/alias_import.html"

    def get(self, request, merchant_pk: int):
        return self._render(request, AliasImportForm())

    def post(self, request, merchant_pk: int):
        form = AliasImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > ALIAS_IMPORT_MAX_BYTES:
            form.add_error("file", "The file is larger than 5 MB; split it.")
            return self._render(request, form, status=400)
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error("file", "The file is not UTF-8 text.")
            return self._render(request, form, status=400)
        result = alias_import_csv(merchant=self.merchant, text=text)
        if result.errors:
            return self._render(request, form, result=result, status=400)
        messages.success(request, f"{result.created} aliases imported.")
        return redirect("warehouses:products", merchant_pk=merchant_pk)

    def _render(self, request, form, *, result=None, status=200):
        return render(
            request,
            self.template_name,
            {"merchant": self.merchant, "form": form, "result": result},
            status=status,
        )


# --- Upload a CSV file of stock (the CSV feed) ------------------------------------------------

CSV_UPLOAD_MAX_BYTES = 512 * 1024 * 1024


class InventoryUploadView(MerchantScopedMixin, View):
    """Upload a stock CSV file for a merchant on the CSV feed: the file is stored, its header
    checked at once, and a download of it is queued (the run page shows how it went)."""

    template_name = "warehouses/inventory_upload.html"

    def get(self, request, merchant_pk: int):
        return self._render(request, InventoryUploadForm())

    def post(self, request, merchant_pk: int):
        form = InventoryUploadForm(request.POST, request.FILES)
        if self.merchant.connector_key != CsvFeedConnector.key:
            form.add_error(None, "This merchant's warehouse system is not the CSV feed.")
            return self._render(request, form, status=400)
        if not form.is_valid():
            return self._render(request, form, status=400)
        upload = form.cleaned_data["file"]
        if upload.size > CSV_UPLOAD_MAX_BYTES:
            form.add_error("file", "The file is larger than 512 MB.")
            return self._render(request, form, status=400)
        name = csv_upload_save(merchant_id=self.merchant.pk, chunks=upload.chunks())
        connector = csv_upload_connector(merchant_id=self.merchant.pk, file_name=name)
        try:
            connector.check()  # the header, at once; the lines are checked by the download
        except ConnectorError as error:
            Path(connector.path).unlink(missing_ok=True)
            form.add_error("file", error.message)
            return self._render(request, form, status=400)
        run = download_request(merchant=self.merchant, user=request.user, csv_upload=name)
        messages.success(
            request, f"{upload.name} uploaded: its download is queued as run #{run.pk}."
        )
        return redirect("sync:run", pk=run.pk)

    def _render(self, request, form, *, status=200):
        return render(
            request,
            self.template_name,
            {
                "merchant": self.merchant,
                "form": form,
                "is_csv_feed": self.merchant.connector_key == CsvFeedConnector.key,
            },
            status=status,
        )
