from django.urls import path

from carts import views

app_name = "carts"

urlpatterns = [
    path("", views.CartListView.as_view(), name="list"),
    path("<int:pk>/", views.CartDetailView.as_view(), name="detail"),
    path("<int:pk>/product-sync/", views.ProductSyncView.as_view(), name="product_sync"),
]
