from django.views.generic import DetailView, TemplateView

from merchants.models import Merchant
from merchants.selectors import merchant_detail_queryset_for, merchant_list_for
from sync.selectors import runs_by_id


class MerchantListView(TemplateView):
    template_name = "merchants/merchant_list.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(merchants=merchant_list_for(self.request.user), **kwargs)


class MerchantDetailView(DetailView):
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
            warehouses=merchant.warehouses.all(),
            carts=merchant.carts.all(),
            **kwargs,
        )
