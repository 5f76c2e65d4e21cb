"""/v1/: the CartRover-compatible endpoints (see `integration_manager.api.cartrover`)."""

from django.urls import path

from integration_manager.api import cartrover

app_name = "cartrover"

urlpatterns = [
    path("merchant/inventory", cartrover.InventoryListView.as_view(), name="inventory"),
    path("merchant/inventory/", cartrover.InventoryListView.as_view()),
    path(
        "merchant/inventory/<path:sku>",
        cartrover.InventoryDetailView.as_view(),
        name="inventory_sku",
    ),
    path("merchant/product/<path:sku>", cartrover.ProductDetailView.as_view(), name="product"),
]
