"""/api/v1/merchants/: the merchants a key or a user may see, and their settings."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins

from integration_manager.api.tenancy import visible
from integration_manager.api.views import ApiGenericViewSet
from merchants.models import Merchant
from merchants.serializers import MerchantSerializer
from merchants.services import merchant_settings_update


@extend_schema(tags=["merchants"])
class MerchantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ApiGenericViewSet,
):
    """A key sees its own merchant; a user the merchants the pages show them. PATCH changes the
    settings of Edit Setup (Synchronization With WMS - Inventory, its interval, the
    suspicious-download limit, the name); connections and secrets are set on the page."""

    serializer_class = MerchantSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return visible(Merchant.objects.all(), self.request)

    def perform_update(self, serializer):
        serializer.instance = merchant_settings_update(
            merchant=serializer.instance, **serializer.validated_data
        )
