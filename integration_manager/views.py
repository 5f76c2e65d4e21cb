"""Shared view plumbing: tenancy lookups and the health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from merchants.models import Merchant


class MerchantScopedMixin:
    """For pages under /merchants/<merchant_pk>/: the merchant must be visible to the user, and
    everything else on the page is looked up through it. Another merchant's id is a 404."""

    merchant_url_kwarg = "merchant_pk"

    def dispatch(self, request, *args, **kwargs):
        self.merchant = get_object_or_404(
            Merchant.objects.visible_to(request.user), pk=kwargs[self.merchant_url_kwarg]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["merchant"] = self.merchant
        return context


class TenantQuerysetMixin:
    """For list and detail views of a model with a tenant-aware manager."""

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user)


@login_not_required
@require_GET
def health(request):
    """Liveness for load balancers and docker-compose: the process answers and the database too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": str(error)}, status=503)
    return JsonResponse({"status": "ok"})
