from django.urls import path

from warehouses import views

app_name = "warehouses"

urlpatterns = [
    path("locations/", views.LocationsView.as_view(), name="locations"),
    path("locations/<int:pk>/", views.WarehouseLevelsView.as_view(), name="warehouse"),
    path("locations/<int:pk>/edit/", views.WarehouseEditView.as_view(), name="warehouse_edit"),
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
    path(
        "products/<int:pk>/aliases/<int:alias_pk>/delete/",
        views.AliasDeleteView.as_view(),
        name="alias_delete",
    ),
    path("aliases/import/", views.AliasImportView.as_view(), name="alias_import"),
    path("inventory/upload/", views.InventoryUploadView.as_view(), name="inventory_upload"),
]
