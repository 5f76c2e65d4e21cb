from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from integration_manager.views import MerchantScopedMixin
from warehouses.selectors import product_summary, warehouse_levels, warehouse_list

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


class LocationsView(MerchantScopedMixin, TemplateView):
    template_name = "warehouses/locations.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(warehouses=warehouse_list(merchant=self.merchant), **kwargs)


class WarehouseLevelsView(MerchantScopedMixin, TemplateView):
    template_name = "warehouses/warehouse_levels.html"

    def get_context_data(self, **kwargs):
        warehouse = get_object_or_404(self.merchant.warehouses, pk=self.kwargs["pk"])
        query = self.request.GET.get("q", "")
        return super().get_context_data(
            warehouse=warehouse,
            query=query,
            page_obj=_page(self.request, warehouse_levels(warehouse=warehouse, query=query)),
            **kwargs,
        )


class ProductListView(MerchantScopedMixin, TemplateView):
    template_name = "warehouses/product_list.html"

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "")
        return super().get_context_data(
            query=query,
            page_obj=_page(self.request, product_summary(merchant=self.merchant, query=query)),
            **kwargs,
        )


class ProductDetailView(MerchantScopedMixin, TemplateView):
    template_name = "warehouses/product_detail.html"

    def get_context_data(self, **kwargs):
        product = get_object_or_404(self.merchant.products, pk=self.kwargs["pk"])
        return super().get_context_data(
            product=product,
            aliases=product.aliases.all(),
            levels=product.levels.select_related("warehouse").order_by(
                "-warehouse__is_default", "warehouse__name"
            ),
            listings=product.listings.select_related("cart").order_by("cart__name", "sku"),
            **kwargs,
        )
