"""Sync pages: runs (history with filters, a run's counts and log, its live progress), alerts,
the scheduler's status and the SKU troubleshooter."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import DetailView, TemplateView

from integration_manager.pagination import page_of
from integration_manager.views import TenantQuerysetMixin
from sync.forms import RunFilterForm, TroubleshooterForm
from sync.models import Alert, RunState, SyncRun
from sync.selectors import open_alerts_for, run_list_for, scheduler_status
from sync.services.alerts import alert_dismiss
from sync.troubleshooter import sku_diagnose


class RunListView(TemplateView):
    template_name = "sync/run_list.html"

    def get_context_data(self, **kwargs):
        runs = run_list_for(self.request.user)
        form = RunFilterForm(self.request.GET or None, user=self.request.user)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if data["kind"]:
                runs = runs.filter(kind=data["kind"])
            if data["state"]:
                runs = runs.filter(state=data["state"])
            if data["merchant"]:
                runs = runs.filter(merchant=data["merchant"])
            if data["cart"]:
                runs = runs.filter(cart=data["cart"])
        return super().get_context_data(
            form=form if form.is_bound else RunFilterForm(user=self.request.user),
            page_obj=page_of(runs, self.request.GET.get("page")),
            run_url_base=reverse("sync:runs"),
            **kwargs,
        )


class RunDetailView(TenantQuerysetMixin, DetailView):
    model = SyncRun
    template_name = "sync/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return super().get_queryset().select_related("merchant", "cart", "requested_by")


class RunProgressView(TenantQuerysetMixin, DetailView):
    """The progress panel of a run, polled by htmx until the run is finished."""

    model = SyncRun
    template_name = "sync/_run_progress.html"
    context_object_name = "run"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            is_polling=not RunState(self.object.state).is_finished, **kwargs
        )


class AlertListView(TemplateView):
    """Open alerts. An alert resolved by the services (the problem stopped) leaves the list by
    itself; a person can dismiss one."""

    template_name = "sync/alert_list.html"

    def get_context_data(self, **kwargs):
        # Row links reversed once per page, not once per row.
        return super().get_context_data(
            alerts=open_alerts_for(self.request.user),
            run_url_base=reverse("sync:runs"),
            merchant_url_base=reverse("merchants:list"),
            cart_url_base=reverse("carts:list"),
            alerts_url=reverse("sync:alerts"),
            **kwargs,
        )


class AlertDismissView(View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        alert = get_object_or_404(Alert.objects.visible_to(request.user), pk=pk)
        alert_dismiss(alert=alert, user=request.user)
        messages.success(request, f"Alert dismissed: {alert.title}")
        return redirect("sync:alerts")


class StatusView(TemplateView):
    template_name = "sync/status.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(components=scheduler_status(), **kwargs)


class TroubleshooterView(View):
    """SKU troubleshooter: GET with merchant, cart and sku runs the checks."""

    template_name = "sync/troubleshooter.html"

    def get(self, request):
        is_complete = all(request.GET.get(name) for name in ("merchant", "cart", "sku"))
        form = TroubleshooterForm(
            request.GET if is_complete else None,
            initial={name: request.GET.get(name) for name in ("merchant", "cart", "sku")},
            user=request.user,
        )
        diagnosis = None
        if is_complete and form.is_valid():
            diagnosis = sku_diagnose(
                merchant=form.cleaned_data["merchant"],
                cart=form.cleaned_data["cart"],
                sku=form.cleaned_data["sku"],
            )
        return render(request, self.template_name, {"form": form, "diagnosis": diagnosis})
