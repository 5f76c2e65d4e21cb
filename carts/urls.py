from django.urls import path

from carts import views

app_name = "carts"

urlpatterns = [
    path("", views.CartListView.as_view(), name="list"),
    path("<int:pk>/", views.CartDetailView.as_view(), name="detail"),
    path("<int:pk>/setup/", views.CartSetupView.as_view(), name="setup"),
    path("<int:pk>/product-sync/", views.ProductSyncView.as_view(), name="product_sync"),
    path("<int:pk>/item-filters/", views.ItemFiltersView.as_view(), name="item_filters"),
    path(
        "<int:pk>/item-filters/<int:filter_pk>/remove/",
        views.ItemFilterRemoveView.as_view(),
        name="item_filter_remove",
    ),
    path("<int:pk>/upload/", views.UploadNowView.as_view(), name="upload_now"),
    path(
        "<int:pk>/test-connection/",
        views.CartTestConnectionView.as_view(),
        name="test_connection",
    ),
    path("<int:pk>/discrepancies/", views.DiscrepancyReportView.as_view(), name="discrepancies"),
    path(
        "<int:pk>/discrepancies.csv", views.DiscrepancyCsvView.as_view(), name="discrepancies_csv"
    ),
]
