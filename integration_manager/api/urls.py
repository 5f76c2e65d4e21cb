"""/api/: the versioned REST API (/api/v1/), its OpenAPI document (/api/schema/) and Swagger UI
(/api/docs/, assets served by us), and the API keys section of the merchant page."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from carts.api import CartViewSet, ListingViewSet
from merchants.api import MerchantViewSet
from merchants.api_keys_views import ApiKeyCreateView, ApiKeyRevokeView
from sync.api import DownloadRequestView, InventoryPushView, RunViewSet, UploadRequestView
from warehouses.api import AliasViewSet, LevelViewSet, ProductViewSet, WarehouseViewSet

app_name = "api"

router = SimpleRouter()
router.register("merchants", MerchantViewSet, basename="merchant")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("products", ProductViewSet, basename="product")
router.register("aliases", AliasViewSet, basename="alias")
router.register("levels", LevelViewSet, basename="level")
router.register("carts", CartViewSet, basename="cart")
router.register("listings", ListingViewSet, basename="listing")
router.register("runs", RunViewSet, basename="run")

v1 = [
    path(
        "merchants/<int:merchant_pk>/inventory/",
        InventoryPushView.as_view(),
        name="inventory_push",
    ),
    path(
        "merchants/<int:merchant_pk>/downloads/",
        DownloadRequestView.as_view(),
        name="download_request",
    ),
    path("carts/<int:cart_pk>/uploads/", UploadRequestView.as_view(), name="upload_request"),
    *router.urls,
]


@csrf_exempt
@login_not_required
def api_not_found(request, *args, **kwargs):
    """Any other /api/ address: a JSON 404, like the rest of the API."""
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path(
        "keys/<int:merchant_pk>/new/",
        ApiKeyCreateView.as_view(),
        name="api_key_create",
    ),
    path(
        "keys/<int:merchant_pk>/<int:pk>/revoke/",
        ApiKeyRevokeView.as_view(),
        name="api_key_revoke",
    ),
    re_path(r"^", api_not_found),
]
