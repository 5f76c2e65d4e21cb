from django.urls import path

from merchants import views

app_name = "merchants"

urlpatterns = [
    path("", views.MerchantListView.as_view(), name="list"),
    path("<int:pk>/", views.MerchantDetailView.as_view(), name="detail"),
    path("<int:pk>/setup/", views.MerchantSetupView.as_view(), name="setup"),
    path("<int:pk>/run-inventory/", views.RunInventoryNowView.as_view(), name="run_inventory"),
    path(
        "<int:pk>/test-connection/",
        views.MerchantTestConnectionView.as_view(),
        name="test_connection",
    ),
]
