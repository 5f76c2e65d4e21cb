from django.core.paginator import Paginator
from django.views.generic import DetailView, TemplateView

from carts.models import Cart, ListingStatus
from carts.selectors import cart_list_for, cart_listings
from integration_manager.views import TenantQuerysetMixin
from sync.selectors import latest_upload_run_subquery, runs_by_id

PAGE_SIZE = 50


class CartListView(TemplateView):
    template_name = "carts/cart_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(carts=cart_list_for(self.request.user), **kwargs)


class CartDetailView(TenantQuerysetMixin, DetailView):
    model = Cart
    template_name = "carts/cart_detail.html"
    context_object_name = "cart"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("merchant", "sync_warehouse")
            .annotate(last_upload_run_id=latest_upload_run_subquery())
        )

    def get_context_data(self, **kwargs):
        cart = self.object
        last_run = runs_by_id([cart.last_upload_run_id]).get(cart.last_upload_run_id)
        return super().get_context_data(last_run=last_run, **kwargs)


class ProductSyncView(TenantQuerysetMixin, DetailView):
    """View Product Sync."""

    model = Cart
    template_name = "carts/product_sync.html"
    context_object_name = "cart"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        status = self.request.GET.get("status", "")
        listings = cart_listings(cart=self.object, query=query, status=status)
        return super().get_context_data(
            query=query,
            status=status,
            statuses=ListingStatus.choices,
            page_obj=Paginator(listings, PAGE_SIZE).get_page(self.request.GET.get("page")),
            **kwargs,
        )
