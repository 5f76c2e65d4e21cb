from django.urls import path

from warehouses import views

app_name = "warehouses"

urlpatterns = [
    path("locations/", views.LocationsView.as_view(), name="locations"),
    path("locations/<int:pk>/", views.WarehouseLevelsView.as_view(), name="warehouse"),
    path("products/", views.ProductListView.as_view(), name="products"),
    path("products/<int:pk>/", views.ProductDetailView.as_view(), name="product"),
]
