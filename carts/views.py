"""Cart pages: the list, the cart page, Edit Setup, View Product Sync, Item Filters, Upload now,
Test connection and the discrepancy report (with its CSV export)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from carts.connectors import cart_connector_for
from carts.forms import (
    CartSetupForm,
    ItemFilterAddForm,
    ItemFilterModeForm,
    ProductSyncSearchForm,
)
from carts.models import Cart, ListingStatus
from carts.selectors import (
    cart_detail_queryset_for,
    cart_list_for,
    cart_listings,
)
from carts.services import cart_settings_update, item_filter_add, item_filter_remove
from integration_manager.connector_errors import ConnectorError
from integration_manager.pagination import page_of
from merchants.forms import validation_error_add
from merchants.services import connection_secrets_update
from sync.discrepancy import (
    cart_discrepancies,
    cart_discrepancies_first,
    discrepancy_csv_rows,
)
from sync.selectors import runs_by_id
from sync.services.scheduling import upload_request

DISCREPANCIES_SHOWN = 100


def _visible_cart(request, pk: int) -> Cart:
    return get_object_or_404(
        Cart.objects.visible_to(request.user).select_related("merchant", "sync_warehouse"), pk=pk
    )


def _row_links(cart: Cart) -> dict[str, str]:
    """The links of every row of a long list, reversed once per page rather than per row."""
    return {
        "product_url_base": reverse(
            "warehouses:products", kwargs={"merchant_pk": cart.merchant_id}
        ),
        "troubleshoot_url": reverse("sync:troubleshooter")
        + f"?merchant={cart.merchant_id}&cart={cart.pk}",
    }


class CartListView(TemplateView):
    template_name = "carts/cart_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(carts=cart_list_for(self.request.user), **kwargs)


class CartDetailView(TemplateView):
    """The cart page: its settings at a glance, the last upload, the buttons. (No count of
    listings by status: on a cart of a million items that costs more than the page may.)"""

    template_name = "carts/cart_detail.html"

    def get_context_data(self, **kwargs):
        cart = get_object_or_404(cart_detail_queryset_for(self.request.user), pk=self.kwargs["pk"])
        last_run = runs_by_id([cart.last_upload_run_id]).get(cart.last_upload_run_id)
        return super().get_context_data(
            cart=cart,
            merchant=cart.merchant,
            last_run=last_run,
            statuses=list(ListingStatus),
            item_filter_count=cart.item_filters.count(),
            **kwargs,
        )


class CartSetupView(View):
    """Carts > Select Your Cart > Edit Setup. `?connector_key=` re-renders the form for another
    platform (the select asks for it with htmx)."""

    template_name = "carts/cart_setup.html"

    def get(self, request, pk: int):
        cart = _visible_cart(request, pk)
        form = CartSetupForm(instance=cart, connector_key=request.GET.get("connector_key"))
        return self._render(request, cart, form)

    def post(self, request, pk: int):
        cart = _visible_cart(request, pk)
        form = CartSetupForm(request.POST, instance=_visible_cart(request, pk))
        if form.is_valid():
            try:
                cart_settings_update(cart=cart, **form.settings())
                secrets = form.secrets()
                if secrets:
                    connection_secrets_update(connection=cart, secrets=secrets)
            except ValidationError as error:
                validation_error_add(form, error)
            else:
                messages.success(request, "Cart setup saved.")
                return redirect("carts:detail", pk=cart.pk)
        return self._render(request, cart, form, status=400)

    def _render(self, request, cart, form, status=200):
        return render(
            request,
            self.template_name,
            {"cart": cart, "merchant": cart.merchant, "form": form},
            status=status,
        )


class ProductSyncView(TemplateView):
    """View Product Sync: browse or search a SKU; filter by status."""

    template_name = "carts/product_sync.html"

    def get_context_data(self, **kwargs):
        cart = _visible_cart(self.request, self.kwargs["pk"])
        form = ProductSyncSearchForm(self.request.GET or None)
        query = status = ""
        if form.is_valid():
            query = form.cleaned_data["q"].strip()
            status = form.cleaned_data["status"]
        listings = cart_listings(cart=cart, query=query, status=status)
        return super().get_context_data(
            cart=cart,
            merchant=cart.merchant,
            form=form if form.is_bound else ProductSyncSearchForm(),
            **_row_links(cart),
            query=query,
            status=status,
            page_obj=page_of(listings, self.request.GET.get("page")),
            **kwargs,
        )


class ItemFiltersView(View):
    """Item Filters: the mode (off, whitelist, blacklist) and the listed SKUs."""

    template_name = "carts/item_filters.html"

    def get(self, request, pk: int):
        cart = _visible_cart(request, pk)
        return self._render(request, cart)

    def post(self, request, pk: int):
        cart = _visible_cart(request, pk)
        if "item_filter_mode" in request.POST:
            mode_form = ItemFilterModeForm(request.POST)
            if mode_form.is_valid():
                cart_settings_update(
                    cart=cart, item_filter_mode=mode_form.cleaned_data["item_filter_mode"]
                )
                messages.success(request, f"Item Filters: {cart.get_item_filter_mode_display()}.")
                return redirect("carts:item_filters", pk=cart.pk)
            return self._render(request, cart, mode_form=mode_form, status=400)
        add_form = ItemFilterAddForm(request.POST)
        if add_form.is_valid():
            try:
                item_filter = item_filter_add(cart=cart, sku=add_form.cleaned_data["sku"])
            except ValidationError as error:
                validation_error_add(add_form, error)
            else:
                messages.success(request, f"SKU {item_filter.sku} added to the Item Filters.")
                return redirect("carts:item_filters", pk=cart.pk)
        return self._render(request, cart, add_form=add_form, status=400)

    def _render(self, request, cart, *, mode_form=None, add_form=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "cart": cart,
                "merchant": cart.merchant,
                "mode_form": mode_form
                or ItemFilterModeForm(initial={"item_filter_mode": cart.item_filter_mode}),
                "add_form": add_form or ItemFilterAddForm(),
                "item_filters": cart.item_filters.all(),
            },
            status=status,
        )


class ItemFilterRemoveView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int, filter_pk: int):
        cart = _visible_cart(request, pk)
        item_filter = get_object_or_404(cart.item_filters, pk=filter_pk)
        item_filter_remove(cart=cart, sku=item_filter.sku)
        messages.success(request, f"SKU {item_filter.sku} removed from the Item Filters.")
        return redirect("carts:item_filters", pk=cart.pk)


class UploadNowView(View):
    """*Upload now* (optionally re-reading the whole cart): queue an upload; htmx gets the
    progress panel that polls it."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        cart = _visible_cart(request, pk)
        run = upload_request(
            cart=cart, user=request.user, reconcile=request.POST.get("reconcile") == "1"
        )
        if request.htmx:
            return render(request, "sync/_run_progress.html", {"run": run, "is_polling": True})
        messages.info(request, f"Cart upload #{run.pk} queued.")
        return redirect("carts:detail", pk=cart.pk)


class CartTestConnectionView(View):
    """*Test connection*: one cheap call to the cart platform, nothing written."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        cart = _visible_cart(request, pk)
        try:
            reached = cart_connector_for(cart).check()
        except ConnectorError as error:
            result = {"is_ok": False, "message": error.message}
        else:
            result = {"is_ok": True, "message": reached}
        if request.htmx:
            return render(request, "includes/connection_result.html", result)
        if result["is_ok"]:
            messages.success(request, f"Connection works: {result['message']}")
        else:
            messages.error(request, f"Connection failed: {result['message']}")
        return redirect("carts:detail", pk=cart.pk)


class DiscrepancyReportView(TemplateView):
    """Every listing whose cart quantity differs from what it should be, with the reason."""

    template_name = "carts/discrepancies.html"

    def get_context_data(self, **kwargs):
        cart = _visible_cart(self.request, self.kwargs["pk"])
        discrepancies, has_more = cart_discrepancies_first(cart=cart, limit=DISCREPANCIES_SHOWN)
        return super().get_context_data(
            cart=cart,
            merchant=cart.merchant,
            discrepancies=discrepancies,
            has_more=has_more,
            **_row_links(cart),
            **kwargs,
        )


class DiscrepancyCsvView(View):
    def get(self, request, pk: int):
        cart = _visible_cart(request, pk)
        response = StreamingHttpResponse(
            discrepancy_csv_rows(cart_discrepancies(cart=cart)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="discrepancies-cart-{cart.pk}.csv"'
        return response
