"""Merchant pages: the list, the merchant page, Edit Setup, Run inventory now, Test connection."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View
from django.views.generic import DetailView, TemplateView

from integration_manager.connector_errors import ConnectorError
from merchants.forms import MerchantSetupForm, validation_error_add
from merchants.models import Merchant
from merchants.selectors import merchant_detail_queryset_for, merchant_list_for
from merchants.services import merchant_settings_update
from sync.selectors import runs_by_id
from sync.services.scheduling import download_request
from warehouses.selectors import warehouse_list
from warehouses.services import warehouse_connection_check


def optional_url(name: str, **kwargs) -> str | None:
    """The URL of a page another part of the project may or may not provide yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


class MerchantListView(TemplateView):
    template_name = "merchants/merchant_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(merchants=merchant_list_for(self.request.user), **kwargs)


class MerchantDetailView(DetailView):
    """The merchant page: Last Inventory Run, Status, the connection, warehouses and carts."""

    model = Merchant
    template_name = "merchants/merchant_detail.html"
    context_object_name = "merchant"

    def get_queryset(self):
        return merchant_detail_queryset_for(self.request.user)

    def get_context_data(self, **kwargs):
        merchant = self.object
        last_run = runs_by_id([merchant.last_download_run_id]).get(merchant.last_download_run_id)
        return super().get_context_data(
            last_run=last_run,
            warehouses=warehouse_list(merchant=merchant),
            carts=merchant.carts.all(),
            inventory_upload_url=optional_url(
                "warehouses:inventory_upload", merchant_pk=merchant.pk
            ),
            **kwargs,
        )


def _visible_merchant(request, pk: int) -> Merchant:
    return get_object_or_404(Merchant.objects.visible_to(request.user), pk=pk)


class MerchantSetupView(View):
    """Merchants > Edit Setup. `?connector_key=` re-renders the form for another connector (the
    connector select asks for it with htmx), so its parameter fields appear without saving."""

    template_name = "merchants/merchant_setup.html"

    def get(self, request, pk: int):
        merchant = _visible_merchant(request, pk)
        form = MerchantSetupForm(instance=merchant, connector_key=request.GET.get("connector_key"))
        return self._render(request, merchant, form)

    def post(self, request, pk: int):
        merchant = _visible_merchant(request, pk)
        form = MerchantSetupForm(request.POST, instance=Merchant.objects.get(pk=merchant.pk))
        if form.is_valid():
            try:
                merchant_settings_update(
                    merchant=merchant, secrets=form.secrets(), **form.settings()
                )
            except ValidationError as error:
                validation_error_add(form, error)
            else:
                messages.success(request, "Merchant setup saved.")
                return redirect("merchants:detail", pk=merchant.pk)
        return self._render(request, merchant, form, status=400)

    def _render(self, request, merchant, form, status=200):
        return render(
            request,
            self.template_name,
            {"merchant": merchant, "form": form},
            status=status,
        )


class RunInventoryNowView(View):
    """*Run inventory now*: queue a download; htmx gets the progress panel that polls it."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        merchant = _visible_merchant(request, pk)
        run = download_request(merchant=merchant, user=request.user)
        if request.htmx:
            return render(request, "sync/_run_progress.html", {"run": run, "is_polling": True})
        messages.info(request, f"Inventory download #{run.pk} queued.")
        return redirect("merchants:detail", pk=merchant.pk)


class MerchantTestConnectionView(View):
    """*Test connection*: one cheap call to the warehouse system, nothing written."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        merchant = _visible_merchant(request, pk)
        try:
            reached = warehouse_connection_check(merchant=merchant)
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
        return redirect("merchants:detail", pk=merchant.pk)
