from django.core.paginator import Paginator
from django.views.generic import DetailView, TemplateView

from integration_manager.views import TenantQuerysetMixin
from sync.models import RunKind, RunState, SyncRun
from sync.selectors import open_alerts_for, run_list_for, scheduler_status

PAGE_SIZE = 50


class RunListView(TemplateView):
    template_name = "sync/run_list.html"

    def get_context_data(self, **kwargs):
        runs = run_list_for(self.request.user)
        kind = self.request.GET.get("kind", "")
        state = self.request.GET.get("state", "")
        if kind in RunKind.values:
            runs = runs.filter(kind=kind)
        if state in RunState.values:
            runs = runs.filter(state=state)
        return super().get_context_data(
            kind=kind,
            state=state,
            kinds=RunKind.choices,
            states=RunState.choices,
            page_obj=Paginator(runs, PAGE_SIZE).get_page(self.request.GET.get("page")),
            **kwargs,
        )


class RunDetailView(TenantQuerysetMixin, DetailView):
    model = SyncRun
    template_name = "sync/run_detail.html"
    context_object_name = "run"

    def get_queryset(self):
        return super().get_queryset().select_related("merchant", "cart")


class AlertListView(TemplateView):
    template_name = "sync/alert_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(alerts=open_alerts_for(self.request.user), **kwargs)


class StatusView(TemplateView):
    template_name = "sync/status.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(components=scheduler_status(), **kwargs)
