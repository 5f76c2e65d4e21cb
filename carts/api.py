"""/api/v1/carts/: carts and their settings (Edit Setup), and their listings (View Product Sync)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.exceptions import ValidationError

from carts.models import Cart, CartListing, ListingStatus
from carts.serializers import CartSerializer, ListingSerializer
from carts.services import cart_settings_update
from integration_manager.api.tenancy import visible
from integration_manager.api.views import ApiGenericViewSet, int_query_param

MERCHANT = OpenApiParameter("merchant", OpenApiTypes.INT, description="Only this merchant's.")


@extend_schema(tags=["carts"], parameters=[MERCHANT])
class CartViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ApiGenericViewSet,
):
    """Carts and their upload settings. PATCH is validated like the cart's Edit Setup page;
    connections and secrets are set on the page."""

    serializer_class = CartSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        queryset = visible(Cart.objects.all(), self.request)
        merchant_id = int_query_param(self.request, "merchant")
        if merchant_id is not None:
            queryset = queryset.filter(merchant_id=merchant_id)
        return queryset

    def perform_update(self, serializer):
        serializer.instance = cart_settings_update(
            cart=serializer.instance, **serializer.validated_data
        )


@extend_schema(
    tags=["carts"],
    parameters=[
        OpenApiParameter("cart", OpenApiTypes.INT, description="Only this cart's listings."),
        OpenApiParameter("sku", OpenApiTypes.STR, description="Exactly this cart SKU."),
        OpenApiParameter("status", OpenApiTypes.STR, enum=ListingStatus.values),
    ],
)
class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiGenericViewSet):
    """View Product Sync: one row per item the cart reports, with its Inventory Enabled flag,
    the quantities the cart holds and we posted, Last Cart Sync Date and the reason."""

    serializer_class = ListingSerializer

    def get_queryset(self):
        queryset = visible(CartListing.objects.all(), self.request).select_related("product")
        cart_id = int_query_param(self.request, "cart")
        if cart_id is not None:
            queryset = queryset.filter(cart_id=cart_id)
        sku = self.request.query_params.get("sku")
        if sku:
            queryset = queryset.filter(sku=sku)
        status = self.request.query_params.get("status")
        if status:
            if status not in ListingStatus.values:
                raise ValidationError({"status": [f"Not a listing status: {status!r}."]})
            queryset = queryset.filter(status=status)
        return queryset
